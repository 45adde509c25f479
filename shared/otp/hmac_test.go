package otp

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// stdHMAC and stdHKDF are the standard library's answers that HMACSHA256 and HKDFSHA256 must equal.
func stdHMAC(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

func stdHKDF(t testing.TB, secret []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, info, sha256.Size)
	if err != nil {
		t.Fatalf("hkdf.Key: %v", err)
	}
	return k
}

func unhex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHMACSHA256RFC4231 checks the RFC 4231 test cases for HMAC-SHA-256 (1-4, 6 and 7: case 5 is
// truncated), which cover a key shorter than a block and longer keys that are hashed first.
func TestHMACSHA256RFC4231(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte{0xaa}, 131)
	tests := []struct {
		name     string
		key, msg []byte
		want     string
	}{
		{"case 1", bytes.Repeat([]byte{0x0b}, 20), []byte("Hi There"),
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"case 2", []byte("Jefe"), []byte("what do ya want for nothing?"),
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"case 3", bytes.Repeat([]byte{0xaa}, 20), bytes.Repeat([]byte{0xdd}, 50),
			"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{"case 4", unhex(t, "0102030405060708090a0b0c0d0e0f10111213141516171819"), bytes.Repeat([]byte{0xcd}, 50),
			"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{"case 6", long, []byte("Test Using Larger Than Block-Size Key - Hash Key First"),
			"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{"case 7", long, []byte("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
			"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [sha256.Size]byte
			HMACSHA256(&got, tt.key, tt.msg)
			if hex.EncodeToString(got[:]) != tt.want {
				t.Fatalf("HMACSHA256 = %x, want %s", got, tt.want)
			}
		})
	}
}

// TestHKDFSHA256RFC5869 checks RFC 5869 test case 3 (SHA-256, no salt, no info), the first 32 of
// its 42 bytes: HKDF-Expand's first block does not depend on the length asked for.
func TestHKDFSHA256RFC5869(t *testing.T) {
	t.Parallel()
	var got [sha256.Size]byte
	HKDFSHA256(&got, bytes.Repeat([]byte{0x0b}, 22), "")
	if want := "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"; hex.EncodeToString(got[:]) != want {
		t.Fatalf("HKDFSHA256 = %x, want %s", got, want)
	}
}

// TestAgainstStandardLibrary compares both functions with crypto/hmac and crypto/hkdf for every key,
// secret and message length around the block boundaries (0..200 bytes) and every info length the
// function takes.
func TestAgainstStandardLibrary(t *testing.T) {
	t.Parallel()
	buf := make([]byte, 200)
	for i := range buf {
		buf[i] = byte(i*131 + 7)
	}
	for n := range len(buf) + 1 {
		key, msg := buf[:n], buf[len(buf)-n:]
		for _, m := range [][]byte{msg, buf[:n%70], buf} {
			var got [sha256.Size]byte
			HMACSHA256(&got, key, m)
			if want := stdHMAC(key, m); !bytes.Equal(got[:], want) {
				t.Fatalf("HMACSHA256(key %d bytes, msg %d bytes) = %x, want %x", len(key), len(m), got, want)
			}
		}
		if n >= 1 { // crypto/hkdf refuses an empty secret
			for _, info := range []string{"", "stillpay payload mac v2", string(buf[:n%64])} {
				var got [sha256.Size]byte
				HKDFSHA256(&got, key, info)
				if want := stdHKDF(t, key, info); !bytes.Equal(got[:], want) {
					t.Fatalf("HKDFSHA256(secret %d bytes, info %d bytes) = %x, want %x", len(key), len(info), got, want)
				}
			}
		}
	}
}

// TestPaymentCodeIsHOTP: the allocation-free PaymentCode is HOTP-SHA256 over the moving factor.
func TestPaymentCodeIsHOTP(t *testing.T) {
	t.Parallel()
	for i, secret := range [][]byte{rfc6238Keys["SHA256"].key, bytes.Repeat([]byte{0x5a}, 100), rfc4226Secret} {
		for _, c := range []struct {
			step    uint64
			counter uint32
		}{{0, 0}, {1, 1}, {59_000_000, 3}, {MaxStep - 1, MaxCounter - 1}} {
			want := HOTP(sha256.New, secret, MovingFactor(c.step, c.counter), Digits)
			if got := PaymentCode(secret, c.step, c.counter); got != want {
				t.Fatalf("secret %d, step %d counter %d: PaymentCode = %d, HOTP = %d", i, c.step, c.counter, got, want)
			}
		}
	}
}

// TestHKDFSHA256LongInfo: HKDFSHA256 panics on an info longer than one block's room.
func TestHKDFSHA256LongInfo(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a 64-byte info")
		}
	}()
	var out [sha256.Size]byte
	HKDFSHA256(&out, make([]byte, 32), string(make([]byte, 64)))
}

// TestNoAllocations holds what the functions are for: the server calls them for every payment.
func TestNoAllocations(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, SecretSize)
	msg := make([]byte, 300)
	var out [sha256.Size]byte
	if n := testing.AllocsPerRun(100, func() {
		HKDFSHA256(&out, secret, "stillpay payload mac v2")
		HMACSHA256(&out, out[:], msg)
		HMACSHA256(&out, make([]byte, 100), msg) // a long key, hashed first
		_ = PaymentCode(secret, 1, 2)
	}); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// FuzzHMACSHA256 compares both functions with the standard library on any key, message and info.
func FuzzHMACSHA256(f *testing.F) {
	f.Add([]byte("Jefe"), []byte("what do ya want for nothing?"), "")
	f.Add(bytes.Repeat([]byte{0xaa}, 131), bytes.Repeat([]byte{0xdd}, 150), "stillpay payload mac v2")
	f.Add(make([]byte, 64), make([]byte, 55), string(make([]byte, 63)))
	f.Add(make([]byte, 65), make([]byte, 56), "x")
	f.Fuzz(func(t *testing.T, key, msg []byte, info string) {
		var got [sha256.Size]byte
		HMACSHA256(&got, key, msg)
		if want := stdHMAC(key, msg); !bytes.Equal(got[:], want) {
			t.Fatalf("HMACSHA256 = %x, want %x", got, want)
		}
		if len(key) == 0 || len(info) >= blockSize {
			return
		}
		HKDFSHA256(&got, key, info)
		if want := stdHKDF(t, key, info); !bytes.Equal(got[:], want) {
			t.Fatalf("HKDFSHA256 = %x, want %x", got, want)
		}
	})
}

func BenchmarkHMACSHA256(b *testing.B) {
	key, msg := bytes.Repeat([]byte{7}, 32), make([]byte, 300)
	var out [sha256.Size]byte
	b.ReportAllocs()
	for b.Loop() {
		HMACSHA256(&out, key, msg)
	}
}

func BenchmarkHKDFSHA256(b *testing.B) {
	secret := bytes.Repeat([]byte{7}, SecretSize)
	var out [sha256.Size]byte
	b.ReportAllocs()
	for b.Loop() {
		HKDFSHA256(&out, secret, "stillpay payload mac v2")
	}
}

func BenchmarkPaymentCode(b *testing.B) {
	secret := bytes.Repeat([]byte{7}, SecretSize)
	b.ReportAllocs()
	for b.Loop() {
		_ = PaymentCode(secret, 59_000_000, 3)
	}
}
