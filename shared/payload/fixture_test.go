package payload

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"hash/crc32"
	"strings"
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

// The server's id formats: "k-" + 12 hex digits, "au_" + 24 hex digits.
const (
	testKeyID  = "k-0123456789ab"
	testAuthID = "au_0123456789abcdef01234567"
)

func serverKeys(id string) (ed25519.PublicKey, bool) {
	return credential.KeySet{testKeyID: serverKey.Public().(ed25519.PublicKey)}.Lookup(id)
}

// testCredential is a typical credential: a short user id, the server's key and authorization id
// formats, 20.00 EUR a payment, 10 codes, 24 hours.
func testCredential(t testing.TB, userID string, key ed25519.PrivateKey) []byte {
	t.Helper()
	c, err := credential.Sign(credential.Credential{
		UserID:          userID,
		AuthorizationID: testAuthID,
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
	return buildSpec(t, Spec{Credential: credBytes, Counter: counter, Step: step})
}

// buildSpec fills in the fixture's secret, code and device key where s leaves them zero.
func buildSpec(t testing.TB, s Spec) string {
	t.Helper()
	if s.Secret == nil {
		s.Secret = secret
	}
	if s.Code == 0 {
		s.Code = otp.PaymentCode(s.Secret, s.Step, s.Counter)
	}
	if s.DeviceKey == nil {
		s.DeviceKey = deviceKey
	}
	text, err := Build(s)
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

// trailerLen is what follows a version-2 binary's signed bytes.
const trailerLen = ed25519.SignatureSize + MACSize + checksumLen

// seal makes a version-2 binary from signed bytes: a device signature by key, a MAC under the key
// derived from macSecret, and the checksum. A forger who holds a device key but not the secret
// seals with a secret of its own.
func seal(signed []byte, key ed25519.PrivateKey, macSecret []byte) []byte {
	b := append([]byte(nil), signed...)
	b = append(b, ed25519.Sign(key, signingBytes(Version, signed))...)
	mk, err := MACKey(macSecret)
	if err != nil {
		panic(err)
	}
	b = append(b, macWithKey(mk, signed)...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// signedOf returns a version-2 binary's signed bytes.
func signedOf(b []byte) []byte { return append([]byte(nil), b[:len(b)-trailerLen]...) }

// resign rebuilds the device signature (with key), the MAC (with the fixture's secret) and the
// checksum over b's signed bytes.
func resign(b []byte, key ed25519.PrivateKey) []byte { return seal(signedOf(b), key, secret) }

// fieldsOf splits a version-2 binary's signed bytes into their fields, in layout order, so a test
// can change one field and reassemble the rest (join).
func fieldsOf(t testing.TB, b []byte) [][]byte {
	t.Helper()
	s := signedOf(b)
	var out [][]byte
	take := func(n int) {
		out = append(out, s[:n])
		s = s[n:]
	}
	uv := func() {
		_, n := binary.Uvarint(s)
		take(n)
	}
	take(1)                // version
	take(1 + int(s[0]>>1)) // key id
	take(1 + int(s[0]))    // user id
	take(1 + int(s[0]>>1)) // authorization id
	take(ed25519.PublicKeySize)
	take(2) // currency
	uv()    // cap
	uv()    // max codes
	uv()    // issued
	uv()    // validity
	take(ed25519.SignatureSize)
	uv() // counter
	uv() // step
	take(4)
	n, _ := binary.Uvarint(s)
	uv()
	take(int(n))
	if len(s) != 0 {
		t.Fatalf("fieldsOf left %d bytes", len(s))
	}
	return out
}

// Field indexes of fieldsOf.
const (
	fVersion = iota
	fKeyID
	fUserID
	fAuthID
	fDeviceKey
	fCurrency
	fCap
	fMaxCodes
	fIssued
	fValidity
	fCredSig
	fCounter
	fStep
	fCode
	fOfferLen
	fOffer
)

// join reassembles fields with field i replaced by v, and seals the result like the wallet would.
func join(fields [][]byte, i int, v []byte) []byte {
	var s []byte
	for j, f := range fields {
		if j == i {
			f = v
		}
		s = append(s, f...)
	}
	return seal(s, deviceKey, secret)
}

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }

// longestCredential has the longest ids a credential allows (16, 64 and 32 characters, none in the
// server's packable formats) and the largest numbers: cap, codes, and 400 days of validity.
func longestCredential(t testing.TB) []byte {
	t.Helper()
	c, err := credential.Sign(credential.Credential{
		UserID:          strings.Repeat("u", credential.MaxUserIDLen),
		AuthorizationID: strings.Repeat("A", credential.MaxAuthorizationIDLen),
		DevicePublicKey: deviceKey.Public().(ed25519.PublicKey),
		Currency:        "EUR",
		CapPerPayment:   (1<<63 - 1) / credential.MaxCodes,
		MaxCodes:        credential.MaxCodes,
		IssuedAt:        issued,
		ExpiresAt:       issued.Add(400 * 24 * time.Hour),
	}, strings.Repeat("K", credential.MaxKeyIDLen), serverKey)
	if err != nil {
		t.Fatal(err)
	}
	return c.Marshal()
}
