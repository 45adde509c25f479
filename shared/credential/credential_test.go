package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Fixed keys make signatures, and so the golden file, reproducible.
var (
	serverKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	deviceKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	otherKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	issued    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

const testKeyID = "k-0123456789ab"

func baseCredential() Credential {
	return Credential{
		UserID:          "alice",
		AuthorizationID: "a-0123456789abcdef",
		DevicePublicKey: deviceKey.Public().(ed25519.PublicKey),
		Currency:        "EUR",
		CapPerPayment:   2000,
		MaxCodes:        10,
		IssuedAt:        issued,
		ExpiresAt:       issued.Add(24 * time.Hour),
	}
}

func signed(t testing.TB, c Credential) Credential {
	t.Helper()
	s, err := Sign(c, testKeyID, serverKey)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return s
}

func lookup(id string) (ed25519.PublicKey, bool) {
	return KeySet{testKeyID: serverKey.Public().(ed25519.PublicKey)}.Lookup(id)
}

func TestSignValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Credential)
		keyID  string
	}{
		{"empty user", func(c *Credential) { c.UserID = "" }, testKeyID},
		{"long user", func(c *Credential) { c.UserID = strings.Repeat("u", MaxUserIDLen+1) }, testKeyID},
		{"space in user", func(c *Credential) { c.UserID = "al ice" }, testKeyID},
		{"newline in user", func(c *Credential) { c.UserID = "alice\n" }, testKeyID},
		{"non-ASCII user", func(c *Credential) { c.UserID = "alicé" }, testKeyID},
		{"empty authorization", func(c *Credential) { c.AuthorizationID = "" }, testKeyID},
		{"long authorization", func(c *Credential) { c.AuthorizationID = strings.Repeat("a", MaxAuthorizationIDLen+1) }, testKeyID},
		{"empty key id", func(c *Credential) {}, ""},
		{"long key id", func(c *Credential) {}, strings.Repeat("k", MaxKeyIDLen+1)},
		{"short device key", func(c *Credential) { c.DevicePublicKey = c.DevicePublicKey[:31] }, testKeyID},
		{"unknown currency", func(c *Credential) { c.Currency = "XXX" }, testKeyID},
		{"lower-case currency", func(c *Credential) { c.Currency = "eur" }, testKeyID},
		{"zero cap", func(c *Credential) { c.CapPerPayment = 0 }, testKeyID},
		{"negative cap", func(c *Credential) { c.CapPerPayment = -1 }, testKeyID},
		{"zero codes", func(c *Credential) { c.MaxCodes = 0 }, testKeyID},
		{"too many codes", func(c *Credential) { c.MaxCodes = MaxCodes + 1 }, testKeyID},
		{"hold overflows", func(c *Credential) { c.CapPerPayment = 1 << 62; c.MaxCodes = 4 }, testKeyID},
		{"expires before issue", func(c *Credential) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }, testKeyID},
		{"expires at issue", func(c *Credential) { c.ExpiresAt = c.IssuedAt }, testKeyID},
		{"issued before 1970", func(c *Credential) { c.IssuedAt = time.Unix(-5, 0) }, testKeyID},
		{"expires after 9999", func(c *Credential) { c.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, testKeyID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseCredential()
			tt.change(&c)
			if _, err := Sign(c, tt.keyID, serverKey); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Sign = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := Sign(baseCredential(), testKeyID, serverKey[:10]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Sign with a short key = %v, want ErrInvalid", err)
	}
}

func TestSignTruncatesTimes(t *testing.T) {
	t.Parallel()
	c := baseCredential()
	c.IssuedAt = issued.Add(700 * time.Millisecond).In(time.FixedZone("X", 3600))
	s := signed(t, c)
	if !s.IssuedAt.Equal(issued) || s.IssuedAt.Location() != time.UTC {
		t.Fatalf("IssuedAt = %s, want %s in UTC", s.IssuedAt, issued)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := signed(t, baseCredential())
	b := c.Marshal()
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.UserID != c.UserID || got.AuthorizationID != c.AuthorizationID || got.KeyID != testKeyID ||
		!got.DevicePublicKey.Equal(c.DevicePublicKey) || got.Currency != c.Currency ||
		got.CapPerPayment != c.CapPerPayment || got.MaxCodes != c.MaxCodes ||
		!got.IssuedAt.Equal(c.IssuedAt) || !got.ExpiresAt.Equal(c.ExpiresAt) || !bytes.Equal(got.Signature, c.Signature) {
		t.Fatalf("Parse(Marshal(c)) = %+v, want %+v", got, c)
	}
	if err := got.Verify(lookup, issued.Add(time.Hour)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !bytes.Equal(got.Marshal(), b) {
		t.Fatal("Marshal(Parse(b)) differs from b")
	}
}

func TestLongestCredential(t *testing.T) {
	t.Parallel()
	c := baseCredential()
	c.UserID = strings.Repeat("u", MaxUserIDLen)
	c.AuthorizationID = strings.Repeat("a", MaxAuthorizationIDLen)
	c.MaxCodes = MaxCodes
	s, err := Sign(c, strings.Repeat("k", MaxKeyIDLen), serverKey)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Marshal()); n != MaxLen {
		t.Fatalf("longest credential is %d bytes, MaxLen is %d", n, MaxLen)
	}
	if _, err := Parse(s.Marshal()); err != nil {
		t.Fatal(err)
	}
}

// TestGolden pins the byte layout documented in docs/protocol.md.
func TestGolden(t *testing.T) {
	t.Parallel()
	b := signed(t, baseCredential()).Marshal()
	path := filepath.Join("testdata", "credential.hex")
	got := hex.EncodeToString(b) + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
}

// parseCases are encodings Parse must refuse; the fuzz target starts from them and a valid one.
func parseCases(t testing.TB) []struct {
	name string
	b    []byte
	want error
} {
	good := signed(t, baseCredential()).Marshal()
	with := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	return []struct {
		name string
		b    []byte
		want error
	}{
		{"valid", good, nil},
		{"empty", nil, ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"trailing byte", append(append([]byte(nil), good...), 0), ErrMalformed},
		{"too long", make([]byte, MaxLen+1), ErrMalformed},
		{"version 0", with(func(b []byte) []byte { b[0] = 0; return b }), ErrVersion},
		{"version 2", with(func(b []byte) []byte { b[0] = 2; return b }), ErrVersion},
		{"key id length too big", with(func(b []byte) []byte { b[1] = 200; return b }), ErrMalformed},
		{"key id length zero", with(func(b []byte) []byte { b[1] = 0; return b }), ErrMalformed},
		{"control byte in key id", with(func(b []byte) []byte { b[2] = '\n'; return b }), ErrInvalid},
		{"user length off by one", with(func(b []byte) []byte { b[2+len(testKeyID)]++; return b }), ErrMalformed},
		{"currency lower case", with(func(b []byte) []byte { b[len(b)-64-28-3] = 'e'; return b }), ErrInvalid},
		{"cap negative", with(func(b []byte) []byte { b[len(b)-64-28] = 0x80; return b }), ErrInvalid},
		{"zero codes", with(func(b []byte) []byte { copy(b[len(b)-64-20:], []byte{0, 0, 0, 0}); return b }), ErrInvalid},
		{"expiry before issue", with(func(b []byte) []byte { copy(b[len(b)-64-8:], make([]byte, 8)); return b }), ErrInvalid},
		{"all zero", make([]byte, MinLen+10), ErrMalformed},
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.b)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	good := signed(t, baseCredential())
	other, err := Sign(baseCredential(), testKeyID, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	tampered := good
	tampered.CapPerPayment = 999999
	unknownKey := good
	unknownKey.KeyID = "k-ffffffffffff"
	badSig := good
	badSig.Signature = append([]byte(nil), good.Signature...)
	badSig.Signature[10] ^= 1
	invalid := good
	invalid.Currency = "XXX"
	tests := []struct {
		name string
		c    Credential
		now  time.Time
		want error
	}{
		{"valid", good, issued.Add(time.Hour), nil},
		{"at issue", good, issued, nil},
		{"clock a little behind", good, issued.Add(-MaxClockSkew), nil},
		{"clock far behind", good, issued.Add(-MaxClockSkew - time.Second), ErrNotYetValid},
		{"last second", good, good.ExpiresAt.Add(-time.Nanosecond), nil},
		{"at expiry", good, good.ExpiresAt, ErrExpired},
		{"after expiry", good, good.ExpiresAt.Add(time.Hour), ErrExpired},
		{"tampered cap", tampered, issued, ErrSignature},
		{"signed by another key", other, issued, ErrSignature},
		{"unknown key id", unknownKey, issued, ErrUnknownKey},
		{"flipped signature bit", badSig, issued, ErrSignature},
		{"invalid field", invalid, issued, ErrMalformed},
		{"unsigned", baseCredential(), issued, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Verify(lookup, tt.now)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestKeySetFrom(t *testing.T) {
	t.Parallel()
	pub := serverKey.Public().(ed25519.PublicKey)
	ks := KeySetFrom([]protocol.ServerKey{
		{KeyID: testKeyID, PublicKey: pub},
		{KeyID: "k-short", PublicKey: pub[:5]},
	})
	if got, ok := ks.Lookup(testKeyID); !ok || !got.Equal(pub) {
		t.Fatalf("Lookup(%s) = %x, %v", testKeyID, got, ok)
	}
	if _, ok := ks.Lookup("k-short"); ok {
		t.Fatal("a key of the wrong size was kept")
	}
	if err := signed(t, baseCredential()).Verify(ks.Lookup, issued); err != nil {
		t.Fatalf("Verify with KeySetFrom: %v", err)
	}
}

func TestHold(t *testing.T) {
	t.Parallel()
	h, err := signed(t, baseCredential()).Hold()
	if err != nil || h.Minor != 20000 || h.Currency != "EUR" {
		t.Fatalf("Hold = %v, %v; want 200.00 EUR", h, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseCases(f) {
		f.Add(tt.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// One encoding per credential: whatever parses must marshal back to the same bytes, so the
		// signature always covers exactly what travelled.
		if !bytes.Equal(c.Marshal(), b) {
			t.Fatalf("Marshal(Parse(%x)) = %x", b, c.Marshal())
		}
		if c.Verify(lookup, c.IssuedAt) == nil && !bytes.Equal(b, signed(t, baseCredential()).Marshal()) {
			t.Fatalf("a credential not signed by the test key verified: %x", b)
		}
	})
}
