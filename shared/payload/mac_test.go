package payload

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestVerifyMAC: the server's check refuses a forged MAC, a MAC made under another authorization's
// key, a MAC over other bytes, and a short secret.
func TestVerifyMAC(t *testing.T) {
	t.Parallel()
	good := binaryOf(t, validText(t))
	otherSecret := bytes.Repeat([]byte{5}, otp.SecretSize)
	flipped := append([]byte(nil), good...)
	flipped[len(good)-checksumLen-1] ^= 1 // last MAC byte
	tests := []struct {
		name   string
		text   string
		secret []byte
		want   error
	}{
		{"valid", validText(t), secret, nil},
		{"one MAC bit flipped", textOf(flipped, true), secret, ErrMAC},
		{"MAC zeroed", textOf(withMAC(good, make([]byte, MACSize)), true), secret, ErrMAC},
		{"MAC under another authorization's key", textOf(seal(signedOf(good), deviceKey, otherSecret), false), secret, ErrMAC},
		{"checked with another authorization's secret", validText(t), otherSecret, ErrMAC},
		{"MAC keyed with the raw secret, not the derived key", textOf(withMAC(good, macWithKey(secret, signedOf(good))), true), secret, ErrMAC},
		{"short secret", validText(t), secret[:otp.MinSecretSize-1], otp.ErrSecretSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = p.VerifyMAC(tt.secret)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("VerifyMAC = %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrMAC) && DeclineCode(err) != protocol.CodePayloadMAC {
				t.Fatalf("DeclineCode = %q", DeclineCode(err))
			}
		})
	}
}

// TestTerminalCannotForgeMAC plays a terminal that wants to pass a payload of its own making to the
// server: it holds everything public — the payload, the credential, the device public key, the
// server's public keys — and, worse than a real terminal, even the device's private key, so its
// payload passes every offline check. It changes a signed field (the counter) and tries every MAC
// key it can derive from what it knows. The server refuses each:
// the key is HKDF of the 256-bit secret, which only the wallet and the server hold
// (docs/security.md).
func TestTerminalCannotForgeMAC(t *testing.T) {
	t.Parallel()
	good := binaryOf(t, validText(t))
	p, err := Parse(validText(t))
	if err != nil {
		t.Fatal(err)
	}
	pub := serverKey.Public().(ed25519.PublicKey)
	fields := fieldsOf(t, good)
	forgedSigned := signedOf(join(fields, fCounter, []byte{4}))
	cred := sha256.Sum256(p.CredentialBytes)
	candidates := [][]byte{
		make([]byte, otp.SecretSize),
		bytes.Repeat([]byte{0xff}, otp.SecretSize),
		p.CredentialBytes,
		cred[:],
		p.Credential.DevicePublicKey,
		pub,
		p.Credential.Signature,
		p.DeviceSignature,
		p.MAC, // the MAC it saw, as a key
		[]byte(p.AuthorizationID + p.UserID + "0000000000000000"),
	}
	for i, k := range candidates {
		text := textOf(seal(forgedSigned, deviceKey, k), false)
		q, err := Parse(text)
		if err != nil {
			t.Fatalf("candidate %d: Parse: %v", i, err)
		}
		if err := q.VerifyOffline(serverKeys, eur(100), now); err != nil {
			t.Fatalf("candidate %d: the forgery should pass the offline checks (the forger has the device key): %v", i, err)
		}
		if err := q.VerifyMAC(secret); !errors.Is(err, ErrMAC) {
			t.Fatalf("candidate %d: the server accepted a MAC made from public material: %v", i, err)
		}
	}
	// Nor can it reuse the genuine MAC on changed bytes.
	q, err := Parse(textOf(append(append(forgedSigned, good[len(good)-trailerLen:len(good)-checksumLen]...), 0, 0, 0, 0), true))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.VerifyMAC(secret); !errors.Is(err, ErrMAC) {
		t.Fatalf("the genuine MAC moved onto a changed counter: %v", err)
	}
}

// TestMACKeyDerivation: the MAC key is neither the secret nor the same for two secrets.
func TestMACKeyDerivation(t *testing.T) {
	t.Parallel()
	k1, err := MACKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := MACKey(bytes.Repeat([]byte{5}, otp.SecretSize))
	if len(k1) != sha256.Size || bytes.Equal(k1, secret) || bytes.Equal(k1, k2) {
		t.Fatalf("MACKey: %x / %x", k1, k2)
	}
}

// stdMAC is the payload MAC as crypto/hkdf and crypto/hmac compute it (the definition in
// docs/protocol.md), which MACKey, Build and VerifyMAC must agree with byte for byte.
func stdMAC(t testing.TB, secret, signed []byte) (key, tag []byte) {
	key, err := hkdf.Key(sha256.New, secret, nil, MACLabel, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, key)
	h.Write(signed)
	return key, h.Sum(nil)[:MACSize]
}

// checkStdMAC checks MACKey and the MAC against the standard library for one secret and signed bytes.
func checkStdMAC(t testing.TB, secret, signed []byte) {
	wantKey, wantTag := stdMAC(t, secret, signed)
	key, err := MACKey(secret)
	if err != nil {
		t.Fatalf("MACKey(%d bytes): %v", len(secret), err)
	}
	if !bytes.Equal(key, wantKey) {
		t.Fatalf("MACKey(%d bytes) = %x, crypto/hkdf says %x", len(secret), key, wantKey)
	}
	if tag := macWithKey(key, signed); !bytes.Equal(tag, wantTag) {
		t.Fatalf("mac over %d bytes = %x, crypto/hmac says %x", len(signed), tag, wantTag)
	}
}

// TestMACIsStandard: the allocation-free MAC key and MAC are the standard library's, for every
// secret length the payload takes (16 bytes up, past a block) and signed bytes of every length, and
// VerifyMAC accepts a payload sealed with the standard library's MAC.
func TestMACIsStandard(t *testing.T) {
	t.Parallel()
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i*167 + 3)
	}
	for n := otp.MinSecretSize; n <= 150; n++ {
		checkStdMAC(t, buf[:n], buf[n:2*n])
	}
	for n := range len(buf) + 1 {
		checkStdMAC(t, secret, buf[:n])
	}
	good := binaryOf(t, validText(t))
	signed := signedOf(good)
	_, tag := stdMAC(t, secret, signed)
	p, err := Parse(textOf(withMAC(good, tag), true))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifyMAC(secret); err != nil {
		t.Fatalf("VerifyMAC of the standard library's MAC: %v", err)
	}
}

// TestVerifyMACAllocations: the server's MAC check allocates nothing on success or failure.
func TestVerifyMACAllocations(t *testing.T) {
	p, err := Parse(validText(t))
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Repeat([]byte{5}, otp.SecretSize)
	if n := testing.AllocsPerRun(100, func() {
		if p.VerifyMAC(secret) != nil || p.VerifyMAC(other) == nil {
			t.Fatal("VerifyMAC")
		}
	}); n != 0 {
		t.Fatalf("VerifyMAC: %v allocations, want 0", n)
	}
}

// FuzzMAC compares MACKey and the MAC with the standard library on any secret and signed bytes.
func FuzzMAC(f *testing.F) {
	f.Add(secret, []byte("signed"))
	f.Add(make([]byte, otp.MinSecretSize), []byte{})
	f.Add(bytes.Repeat([]byte{0xaa}, 131), bytes.Repeat([]byte{0xdd}, 300))
	f.Fuzz(func(t *testing.T, secret, signed []byte) {
		if len(secret) < otp.MinSecretSize {
			if _, err := MACKey(secret); !errors.Is(err, otp.ErrSecretSize) {
				t.Fatalf("MACKey(%d bytes) = %v, want ErrSecretSize", len(secret), err)
			}
			return
		}
		checkStdMAC(t, secret, signed)
	})
}

// withMAC replaces a version-2 binary's MAC (the checksum is left for textOf to reseal).
func withMAC(b, tag []byte) []byte {
	b = append([]byte(nil), b...)
	copy(b[len(b)-checksumLen-MACSize:], tag)
	return b
}

// macWithKey is the MACSize-byte MAC of data under key.
func macWithKey(key, data []byte) []byte {
	var tag [sha256.Size]byte
	mac(&tag, key, data)
	return tag[:MACSize]
}
