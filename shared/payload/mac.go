package payload

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/stillpay/stillpay/shared/otp"
)

// MACSize is the MAC's length in a version-2 payload: HMAC-SHA-256 truncated to 128 bits.
const MACSize = 16

// MACLabel is the HKDF info that derives the MAC key from the authorization's secret. Its own label
// keeps the MAC key apart from the one-time code, which uses the secret itself as its HMAC key.
const MACLabel = "stillpay payload mac v2"

// MACKey derives the MAC key from an authorization's secret: HKDF-SHA-256 (RFC 5869) with no salt
// and MACLabel as info, 32 bytes. The wallet and the server derive it; nobody stores it.
func MACKey(secret []byte) ([]byte, error) {
	var key [sha256.Size]byte
	if err := macKey(&key, secret); err != nil {
		return nil, err
	}
	return key[:], nil
}

// macKey is MACKey into a caller's array: otp.HKDFSHA256, the same bytes as crypto/hkdf.Key
// without its allocations (the server derives a key per payment).
func macKey(key *[sha256.Size]byte, secret []byte) error {
	if len(secret) < otp.MinSecretSize {
		return fmt.Errorf("%w: %d bytes", otp.ErrSecretSize, len(secret))
	}
	otp.HKDFSHA256(key, secret, MACLabel)
	return nil
}

// mac sets tag to HMAC-SHA-256 under key over data; the MAC is its first MACSize bytes.
func mac(tag *[sha256.Size]byte, key, data []byte) {
	otp.HMACSHA256(tag, key, data)
}

// VerifyMAC checks the payload's MAC with the authorization's secret, in constant time: ErrMAC when
// it does not match or the payload has none (version 1). Only the wallet and the server hold the
// secret, so a valid MAC shows the payload comes from the wallet the authorization was given to;
// the server checks it instead of the device signature.
func (p *Payload) VerifyMAC(secret []byte) error {
	var key, tag [sha256.Size]byte
	if err := macKey(&key, secret); err != nil {
		return err
	}
	mac(&tag, key[:], p.signed)
	clear(key[:])
	if len(p.MAC) != MACSize || !hmac.Equal(tag[:MACSize], p.MAC) {
		return ErrMAC
	}
	return nil
}
