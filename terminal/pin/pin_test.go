package pin

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	text, err := New("4711")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "4711") {
		t.Fatalf("the hash shows the PIN: %s", text)
	}
	h, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pin  string
		want bool
	}{{"4711", true}, {"4712", false}, {"", false}, {"47110", false}, {"abcd", false}} {
		if got := h.Check(tc.pin); got != tc.want {
			t.Errorf("Check(%q) = %v, want %v", tc.pin, got, tc.want)
		}
	}
	other, _ := New("4711")
	if other == text {
		t.Fatal("two hashes of one PIN are equal: no salt")
	}
}

func TestBadInput(t *testing.T) {
	for _, p := range []string{"123", "1234567890123", "12a4", "12 34"} {
		if _, err := New(p); !errors.Is(err, ErrWeak) {
			t.Errorf("New(%q): %v, want ErrWeak", p, err)
		}
	}
	for _, text := range []string{"", "4711", "pbkdf2-sha256$1$AAAAAAAAAAA$AAAA", "md5$200000$c2FsdHNhbHQ$x",
		"pbkdf2-sha256$200000$!!$AAAA", "pbkdf2-sha256$200000$c2FsdHNhbHRzYWx0$c2hvcnQ"} {
		if _, err := Parse(text); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q): %v, want ErrMalformed", text, err)
		}
	}
}

// FuzzParse: any text is parsed or refused with ErrMalformed, never a panic.
func FuzzParse(f *testing.F) {
	good, _ := New("4711")
	for _, s := range []string{good, "", "pbkdf2-sha256$$$", "pbkdf2-sha256$200000$c2FsdHNhbHQ$x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Parse: %v", err)
		}
		if err == nil && h.iter <= 20_000 { // a valid hash of more rounds is too slow for a fuzz loop
			h.Check("0000")
		}
	})
}
