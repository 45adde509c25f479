package payload

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// qrAlphanumericCapacity15M is the alphanumeric capacity of a version 15 QR code at error
// correction M (ISO/IEC 18004 table 7). Version 15-L holds 758; M is the level the issue names.
const qrAlphanumericCapacity15M = 600

func TestBuildParse(t *testing.T) {
	credBytes := testCredential(t, "alice", serverKey)
	code := otp.PaymentCode(secret, nowStep, 3)
	text := build(t, credBytes, 3, nowStep)
	p, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Version != Version || p.UserID != "alice" || p.AuthorizationID != "a-0123456789abcdef" ||
		p.Counter != 3 || p.Step != nowStep || p.Code != code || !bytes.Equal(p.CredentialBytes, credBytes) ||
		p.Credential.CapPerPayment != 2000 {
		t.Fatalf("Parse = %+v", p)
	}
	if err := p.VerifyDevice(); err != nil {
		t.Fatalf("VerifyDevice: %v", err)
	}
	if err := p.VerifyOffline(serverKeys, eur(1999), now); err != nil {
		t.Fatalf("VerifyOffline: %v", err)
	}
	if err := otp.VerifyPaymentCode(secret, p.Step, p.Counter, p.Code, now); err != nil {
		t.Fatalf("server-side code check: %v", err)
	}
	if p.UseKey() != "a-0123456789abcdef/3" {
		t.Fatalf("UseKey = %q", p.UseKey())
	}
}

// TestGolden pins the text format documented in docs/protocol.md.
func TestGolden(t *testing.T) {
	text := validText(t)
	path := filepath.Join("testdata", "payload.txt")
	if *update {
		if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if text+"\n" != string(want) {
		t.Fatalf("payload text changed:\n got %s\nwant %s", text, want)
	}
}

// TestSize checks the figures docs/protocol.md quotes and that the text is scanner- and QR-safe.
func TestSize(t *testing.T) {
	sizes := map[string]int{"alice": 381, "alice@example.com": 399}
	for user, want := range sizes {
		text := build(t, testCredential(t, user, serverKey), 3, nowStep)
		if len(text) != want {
			t.Errorf("payload for %q is %d characters, docs/protocol.md says %d", user, len(text), want)
		}
		for i := 0; i < len(text); i++ {
			if !strings.ContainsRune(base45.Alphabet, rune(text[i])) {
				t.Fatalf("character %q at %d is not QR alphanumeric", text[i], i)
			}
		}
		if strings.ContainsAny(text, "\r\n\x00") || strings.TrimSpace(text) != text {
			t.Fatalf("payload %q has CR, LF, NUL or outer spaces", text)
		}
	}
	if MaxTextLen != 493 || MaxTextLen > qrAlphanumericCapacity15M || MaxTextLen > protocol.MaxPayloadChars {
		t.Fatalf("MaxTextLen = %d: must be 493 (docs), fit QR 15-M (%d) and protocol.MaxPayloadChars (%d)",
			MaxTextLen, qrAlphanumericCapacity15M, protocol.MaxPayloadChars)
	}
}

func TestBuildErrors(t *testing.T) {
	credBytes := testCredential(t, "alice", serverKey)
	tests := []struct {
		name      string
		credBytes []byte
		counter   uint32
		step      uint64
		code      uint32
		key       []byte
		want      error
	}{
		{"bad credential", credBytes[:20], 0, nowStep, 1, deviceKey, credential.ErrMalformed},
		{"another device key", credBytes, 0, nowStep, 1, otherKey, ErrDeviceKey},
		{"short device key", credBytes, 0, nowStep, 1, deviceKey[:32], ErrDeviceKey},
		{"counter at MaxCodes", credBytes, 10, nowStep, 1, deviceKey, ErrCounterExceeded},
		{"step too large", credBytes, 0, otp.MaxStep, 1, deviceKey, ErrMalformed},
		{"ten-digit code", credBytes, 0, nowStep, otp.MaxCode, deviceKey, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Build(tt.credBytes, tt.counter, tt.step, tt.code, tt.key); !errors.Is(err, tt.want) {
				t.Fatalf("Build = %v, want %v", err, tt.want)
			}
		})
	}
}

type parseCase struct {
	name string
	text string
	want error
}

// parseCases are texts Parse must refuse (and one it must accept); the fuzz targets start from them.
func parseCases(t testing.TB) []parseCase {
	good := validText(t)
	bin := binaryOf(t, good)
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), bin...)
		f(b)
		return b
	}
	return []parseCase{
		{"valid", good, nil},
		{"empty", "", ErrPrefix},
		{"prefix only", Prefix, ErrMalformed},
		{"lower-case prefix", "sp1:" + good[4:], ErrPrefix},
		{"no colon", "SP1-" + good[4:], ErrPrefix},
		{"other scheme", "https://example.com/pay", ErrPrefix},
		{"version 2 prefix", "SP2:" + good[4:], ErrVersion},
		{"letter version", "SPX:" + good[4:], ErrPrefix},
		{"too long", good + strings.Repeat("0", MaxTextLen), ErrTooLong},
		{"lower-case body", Prefix + strings.ToLower(good[4:]), ErrEncoding},
		{"trailing newline", good + "\n", ErrEncoding},
		{"one character short", good[:len(good)-1], ErrEncoding},
		{"last byte missing", good[:len(good)-2], ErrChecksum},
		{"three characters more", good + "000", ErrChecksum},
		{"checksum flipped", textOf(mod(func(b []byte) { b[len(b)-1] ^= 1 }), false), ErrChecksum},
		{"binary version 2", textOf(mod(func(b []byte) { b[0] = 2 }), true), ErrVersion},
		{"binary version 0", textOf(mod(func(b []byte) { b[0] = 0 }), true), ErrVersion},
		{"credential length short", textOf(mod(func(b []byte) { b[offCredLen+1]-- }), true), ErrMalformed},
		{"credential length long", textOf(mod(func(b []byte) { b[offCredLen+1]++ }), true), ErrMalformed},
		{"credential version", textOf(mod(func(b []byte) { b[headerLen] = 9 }), true), ErrMalformed},
		{"ten-digit code", textOf(resign(mod(func(b []byte) { b[offCode] = 0xff }), deviceKey), true), ErrMalformed},
		{"only a checksum", textOf(make([]byte, 4), true), ErrVersion},
		{"short binary", textOf(mod(func(b []byte) {})[:MinBinaryLen-2], true), ErrMalformed},
	}
}

func TestParse(t *testing.T) {
	for _, tt := range parseCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.text)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if err != nil && (p != nil || DeclineCode(err) == "") {
				t.Fatalf("Parse error %v: payload %v, decline code %q", err, p, DeclineCode(err))
			}
		})
	}
}

// TestEveryByteChange changes every byte of a valid payload's binary, in several ways, and checks
// that the result is refused: as a damaged scan (checksum left alone) by Parse with ErrChecksum, and
// as a forgery (checksum recomputed) by Parse or VerifyOffline.
func TestEveryByteChange(t *testing.T) {
	good := binaryOf(t, validText(t))
	for i := range good {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte(nil), good...)
			b[i] ^= x
			if _, err := Parse(textOf(b, false)); !errors.Is(err, ErrChecksum) {
				t.Fatalf("byte %d ^ %#x, checksum kept: Parse = %v, want ErrChecksum", i, x, err)
			}
			if i >= len(good)-checksumLen {
				continue // resealing restores the original checksum
			}
			p, err := Parse(textOf(b, true))
			if err == nil {
				err = p.VerifyOffline(serverKeys, eur(100), now)
			}
			if err == nil {
				t.Fatalf("byte %d ^ %#x with a recomputed checksum was accepted", i, x)
			}
			if DeclineCode(err) == "" {
				t.Fatalf("byte %d ^ %#x: untyped error %v", i, x, err)
			}
		}
	}
}

// TestEveryCharacterChange replaces every character of a valid payload text with every other
// character of the alphabet and with characters a scanner line must never carry.
func TestEveryCharacterChange(t *testing.T) {
	good := validText(t)
	replacements := base45.Alphabet + "\r\n\x00a_\x7f\xff"
	for i := 0; i < len(good); i++ {
		for j := 0; j < len(replacements); j++ {
			c := replacements[j]
			if c == good[i] {
				continue
			}
			text := good[:i] + string(c) + good[i+1:]
			p, err := Parse(text)
			if err == nil {
				err = p.VerifyOffline(serverKeys, eur(100), now)
			}
			if err == nil {
				t.Fatalf("character %d changed to %q was accepted", i, c)
			}
			if DeclineCode(err) == "" {
				t.Fatalf("character %d changed to %q: untyped error %v", i, c, err)
			}
		}
	}
}

// FuzzParse feeds texts to Parse. Whatever parses must be the canonical encoding of what it parsed,
// and nothing but the seeds can pass the full offline check (the fuzzer holds no key).
func FuzzParse(f *testing.F) {
	cases := parseCases(f)
	for _, tt := range cases {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkParse(t, text, cases[0].text)
	})
}

// FuzzParseBinary feeds bytes with a correct checksum, so the fuzzer gets past the checksum and
// exercises the structure and the signatures.
func FuzzParseBinary(f *testing.F) {
	cases := parseCases(f)
	for _, tt := range cases {
		if b, err := base45.Decode(strings.TrimPrefix(tt.text, Prefix)); err == nil && len(b) >= checksumLen {
			f.Add(b[:len(b)-checksumLen])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParse(t, textOf(append(body, 0, 0, 0, 0), true), cases[0].text)
	})
}

func checkParse(t *testing.T, text, valid string) {
	p, err := Parse(text)
	if err != nil {
		if p != nil || DeclineCode(err) == "" {
			t.Fatalf("Parse(%q): payload %v, error %v without a decline code", text, p, err)
		}
		return
	}
	if len(text) > MaxTextLen {
		t.Fatalf("accepted %d characters", len(text))
	}
	b := append(append([]byte(nil), p.signed...), p.DeviceSignature...)
	if again := textOf(append(b, 0, 0, 0, 0), true); again != text {
		t.Fatalf("Parse(%q) is not canonical: re-encodes as %q", text, again)
	}
	err = p.VerifyOffline(serverKeys, eur(100), now)
	if err == nil && text != valid {
		t.Fatalf("a payload the fuzzer made passed the offline check: %q", text)
	}
	if err != nil && DeclineCode(err) == "" {
		t.Fatalf("VerifyOffline error %v has no decline code", err)
	}
}
