package base45

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// decodeCases are RFC 9285's examples and the malformed inputs Decode must refuse; the fuzz targets
// start from them.
var decodeCases = []struct {
	text string
	want string // decoded bytes when err is nil
	err  error
}{
	{"BB8", "AB", nil}, // RFC 9285 §4.3
	{"%69 VD92EX0", "Hello!!", nil},
	{"UJCLQE7W581", "base-45", nil},
	{"QED8WEX0", "ietf!", nil}, // RFC 9285 §4.4
	{"", "", nil},
	{"00", "\x00", nil},
	{"000", "\x00\x00", nil},
	{"FGW", "\xff\xff", nil}, // the largest 3-character group, 65535
	{"U5", "\xff", nil},      // the largest 2-character group, 255
	{"GGW", "", ErrOverflow}, // 65536
	{":::", "", ErrOverflow},
	{"V5", "", ErrOverflow}, // 256
	{"::", "", ErrOverflow},
	{"A", "", ErrInvalidLength},
	{"BB8A", "", ErrInvalidLength},
	{"bb8", "", ErrInvalidChar},
	{"BB\n", "", ErrInvalidChar},
	{"BB\x00", "", ErrInvalidChar},
	{"BB\xff", "", ErrInvalidChar},
	{"QED8WE_0", "", ErrInvalidChar},
}

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tt := range decodeCases {
		got, err := Decode(tt.text)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Decode(%q) error = %v, want %v", tt.text, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("Decode(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	for _, tt := range decodeCases {
		if tt.err != nil {
			continue
		}
		if got := Encode([]byte(tt.want)); got != tt.text {
			t.Errorf("Encode(%q) = %q, want %q", tt.want, got, tt.text)
		}
		if EncodedLen(len(tt.want)) != len(tt.text) || DecodedLen(len(tt.text)) != len(tt.want) {
			t.Errorf("lengths of %q: EncodedLen %d DecodedLen %d", tt.text, EncodedLen(len(tt.want)), DecodedLen(len(tt.text)))
		}
	}
}

// TestNeverEndsWithSpace checks the property the package doc promises: the last character of an
// encoding is never a space, whatever the final one or two bytes are.
func TestNeverEndsWithSpace(t *testing.T) {
	t.Parallel()
	for n := 0; n < 1<<16; n++ {
		for _, src := range [][]byte{{byte(n >> 8), byte(n)}, {byte(n)}} {
			if e := Encode(src); strings.HasSuffix(e, " ") {
				t.Fatalf("Encode(%x) = %q ends with a space", src, e)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, tt := range decodeCases {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := Decode(text)
		if err != nil {
			if !errors.Is(err, ErrInvalidChar) && !errors.Is(err, ErrInvalidLength) && !errors.Is(err, ErrOverflow) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Base45 has one encoding per byte string, so a valid text must round-trip exactly.
		if Encode(got) != text {
			t.Fatalf("Decode(%q) = %x, which encodes as %q", text, got, Encode(got))
		}
	})
}

func FuzzEncode(f *testing.F) {
	for _, tt := range decodeCases {
		f.Add([]byte(tt.want))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		text := Encode(src)
		for i := 0; i < len(text); i++ {
			if !strings.Contains(Alphabet, text[i:i+1]) {
				t.Fatalf("Encode(%x) has %q outside the alphabet", src, text[i])
			}
		}
		got, err := Decode(text)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("Decode(Encode(%x)) = %x, %v", src, got, err)
		}
	})
}
