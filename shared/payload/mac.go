package payload

import (
	"crypto/hkdf"
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
	if len(secret) < otp.MinSecretSize {
		return nil, fmt.Errorf("%w: %d bytes", otp.ErrSecretSize, len(secret))
	}
	return hkdf.Key(sha256.New, secret, nil, MACLabel, sha256.Size)
}

// mac is HMAC-SHA-256 under key over data, truncated to MACSize.
func mac(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)[:MACSize]
}

// VerifyMAC checks the payload's MAC with the authorization's secret, in constant time: ErrMAC when
// it does not match or the payload has none (version 1). Only the wallet and the server hold the
// secret, so a valid MAC shows the payload comes from the wallet the authorization was given to;
// the server checks it instead of the device signature.
func (p *Payload) VerifyMAC(secret []byte) error {
	key, err := MACKey(secret)
	if err != nil {
		return err
	}
	if len(p.MAC) != MACSize || !hmac.Equal(mac(key, p.signed), p.MAC) {
		return ErrMAC
	}
	return nil
}
