package otp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"testing"
	"time"
)

// rfc4226Secret is the key of RFC 4226 Appendix D.
var rfc4226Secret = []byte("12345678901234567890")

// rfc4226Vectors is RFC 4226 Appendix D: HOTP-SHA1, 6 digits, counters 0..9.
var rfc4226Vectors = []uint32{755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489}

// rfc6238Vector is one row of RFC 6238 Appendix B (8 digits, 30 s step, T0 = 0).
type rfc6238Vector struct {
	unix int64
	hash string
	want uint32
}

var rfc6238Vectors = []rfc6238Vector{
	{59, "SHA1", 94287082}, {59, "SHA256", 46119246}, {59, "SHA512", 90693936},
	{1111111109, "SHA1", 7081804}, {1111111109, "SHA256", 68084774}, {1111111109, "SHA512", 25091201},
	{1111111111, "SHA1", 14050471}, {1111111111, "SHA256", 67062674}, {1111111111, "SHA512", 99943326},
	{1234567890, "SHA1", 89005924}, {1234567890, "SHA256", 91819424}, {1234567890, "SHA512", 93441116},
	{2000000000, "SHA1", 69279037}, {2000000000, "SHA256", 90698825}, {2000000000, "SHA512", 38618901},
	{20000000000, "SHA1", 65353130}, {20000000000, "SHA256", 77737706}, {20000000000, "SHA512", 47863826},
}

// rfc6238Keys are the per-hash seeds of RFC 6238 Appendix B (the ASCII digits repeated to the hash size).
var rfc6238Keys = map[string]struct {
	newHash func() hash.Hash
	key     []byte
}{
	"SHA1":   {sha1.New, []byte("12345678901234567890")},
	"SHA256": {sha256.New, []byte("12345678901234567890123456789012")},
	"SHA512": {sha512.New, []byte("1234567890123456789012345678901234567890123456789012345678901234")},
}

func TestHOTPRFC4226(t *testing.T) {
	t.Parallel()
	for counter, want := range rfc4226Vectors {
		if got := HOTP(sha1.New, rfc4226Secret, uint64(counter), 6); got != want {
			t.Errorf("HOTP(counter %d) = %06d, want %06d", counter, got, want)
		}
	}
}

func TestTOTPRFC6238(t *testing.T) {
	t.Parallel()
	for _, v := range rfc6238Vectors {
		k := rfc6238Keys[v.hash]
		if got := TOTP(k.newHash, k.key, time.Unix(v.unix, 0), 30, 8); got != v.want {
			t.Errorf("TOTP-%s(%d) = %08d, want %08d", v.hash, v.unix, got, v.want)
		}
	}
}

func TestHOTPDigits(t *testing.T) {
	t.Parallel()
	full := HOTP(sha1.New, rfc4226Secret, 0, MaxDigits)
	if full >= 1<<31 {
		t.Fatalf("untruncated HOTP %d has more than 31 bits", full)
	}
	for _, d := range []int{0, -1, 11, 99} {
		if got := HOTP(sha1.New, rfc4226Secret, 0, d); got != full {
			t.Errorf("HOTP digits=%d = %d, want the 31-bit value %d", d, got, full)
		}
	}
	p := uint32(1)
	for d := 1; d < MaxDigits; d++ {
		p *= 10
		if got := HOTP(sha1.New, rfc4226Secret, 0, d); got != full%p {
			t.Errorf("HOTP digits=%d = %d, want %d", d, got, full%p)
		}
	}
}

func TestStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(29, 999999999), 0},
		{time.Unix(30, 0), 1},
		{time.Unix(-100, 0), 0},
		{time.Unix(1111111109, 0), 37037036},
	}
	for _, tt := range tests {
		if got := StepAt(tt.t); got != tt.want {
			t.Errorf("StepAt(%d) = %d, want %d", tt.t.Unix(), got, tt.want)
		}
	}
	if got := StepStart(37037036); !got.Equal(time.Unix(37037036*30, 0)) {
		t.Errorf("StepStart = %s", got)
	}
	if got := TOTP(sha1.New, rfc4226Secret, time.Unix(59, 0), 0, 8); got != 94287082 {
		t.Errorf("TOTP with default step = %d, want the 30 s vector", got)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != SecretSize || string(a) == string(b) {
		t.Fatalf("secrets %x and %x: want two different %d-byte values", a, b, SecretSize)
	}
}
