package payload

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
)

// Fixed keys and times make every payload, and so the golden file, reproducible.
var (
	serverKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	deviceKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	otherKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	secret    = bytes.Repeat([]byte{4}, otp.SecretSize)
	issued    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// now is an hour into the credential's life, in the middle of a time step.
	now     = issued.Add(time.Hour + 15*time.Second)
	nowStep = otp.StepAt(now)
)

const testKeyID = "k-0123456789ab"

func serverKeys(id string) (ed25519.PublicKey, bool) {
	return credential.KeySet{testKeyID: serverKey.Public().(ed25519.PublicKey)}.Lookup(id)
}

// testCredential is a typical credential: a short user id, the server's key and authorization id
// formats, 20.00 EUR a payment, 10 codes, 24 hours.
func testCredential(t testing.TB, userID string, key ed25519.PrivateKey) []byte {
	t.Helper()
	c, err := credential.Sign(credential.Credential{
		UserID:          userID,
		AuthorizationID: "a-0123456789abcdef",
		DevicePublicKey: deviceKey.Public().(ed25519.PublicKey),
		Currency:        "EUR",
		CapPerPayment:   2000,
		MaxCodes:        10,
		IssuedAt:        issued,
		ExpiresAt:       issued.Add(24 * time.Hour),
	}, testKeyID, key)
	if err != nil {
		t.Fatal(err)
	}
	return c.Marshal()
}

// build makes a payload the way the wallet does.
func build(t testing.TB, credBytes []byte, counter uint32, step uint64) string {
	t.Helper()
	text, err := Build(credBytes, counter, step, otp.PaymentCode(secret, step, counter), deviceKey)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return text
}

func validText(t testing.TB) string {
	return build(t, testCredential(t, "alice", serverKey), 3, nowStep)
}

// binaryOf decodes a payload text to its bytes, checksum included.
func binaryOf(t testing.TB, text string) []byte {
	t.Helper()
	b, err := base45.Decode(text[len(Prefix):])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// textOf encodes bytes as a payload text, recomputing the checksum when reseal is set: that is what a
// forger (as opposed to a bad scan) does.
func textOf(b []byte, reseal bool) string {
	b = append([]byte(nil), b...)
	if reseal && len(b) >= checksumLen {
		body := b[:len(b)-checksumLen]
		binary.BigEndian.PutUint32(b[len(body):], crc32.Checksum(body, castagnoli))
	}
	return Prefix + base45.Encode(b)
}

// resign rebuilds the device signature and checksum over b (a payload binary) with key.
func resign(b []byte, key ed25519.PrivateKey) []byte {
	b = append([]byte(nil), b...)
	credLen := int(binary.BigEndian.Uint16(b[offCredLen:]))
	signedEnd := headerLen + credLen
	copy(b[signedEnd:], ed25519.Sign(key, signingBytes(b[:signedEnd])))
	return b
}

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }
