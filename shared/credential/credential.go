// Package credential is the offline credential: the server's Ed25519-signed statement that a wallet
// device may pay offline, for one user and one authorization, up to a cap per payment and a number
// of codes, until an expiry. A terminal verifies it with the server's public key alone.
//
// The encoding is a compact, fixed-order binary layout (docs/protocol.md) that Parse reads strictly:
// every field is bounded and checked, and there is exactly one encoding of each credential, so the
// signature covers the bytes as they travel.
package credential

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// FormatVersion is the first byte of every encoded credential.
const FormatVersion = 1

// SigningContext separates credential signatures from every other signature in the system.
const SigningContext = "stillpay-credential-v1\x00"

// Field bounds. Ids are printable ASCII without spaces (0x21..0x7e).
const (
	MaxKeyIDLen           = 16
	MaxUserIDLen          = 64 // protocol.MaxIDLen
	MaxAuthorizationIDLen = 32
	// MaxCodes bounds Credential.MaxCodes: counters must fit the payment code's 24-bit counter.
	MaxCodes = otp.MaxCounter
	// MaxClockSkew is how far ahead of the verifier's clock IssuedAt may be: a terminal whose clock
	// is a little behind the server's must still accept a credential issued a moment ago.
	MaxClockSkew = 5 * time.Minute
)

// Sizes of the encoding.
const (
	fixedLen = 1 + 1 + 1 + 1 + ed25519.PublicKeySize + 3 + 8 + 4 + 8 + 8 + ed25519.SignatureSize
	// MinLen and MaxLen bound an encoded credential.
	MinLen = fixedLen + 3
	MaxLen = fixedLen + MaxKeyIDLen + MaxUserIDLen + MaxAuthorizationIDLen
)

// maxUnix keeps times within what time.Time formats as a four-digit year.
const maxUnix = 253402300799 // 9999-12-31T23:59:59Z

// Errors. Test with errors.Is; Parse's errors wrap ErrMalformed and a more precise cause.
var (
	ErrMalformed   = errors.New("credential: malformed")
	ErrVersion     = errors.New("credential: unknown format version")
	ErrInvalid     = errors.New("credential: invalid field")
	ErrUnknownKey  = errors.New("credential: signed by an unknown server key")
	ErrSignature   = errors.New("credential: signature does not verify")
	ErrExpired     = errors.New("credential: expired")
	ErrNotYetValid = errors.New("credential: not yet valid")
)

// Credential is the server's statement. The zero Signature means unsigned.
type Credential struct {
	KeyID           string // the server key that signed it
	UserID          string
	AuthorizationID string
	DevicePublicKey ed25519.PublicKey // the wallet's key; it signs every payload
	Currency        string            // ISO 4217
	CapPerPayment   int64             // minor units of Currency
	MaxCodes        uint32            // counters 0 .. MaxCodes-1 are valid
	IssuedAt        time.Time         // whole seconds, UTC
	ExpiresAt       time.Time         // whole seconds, UTC; the credential is invalid from this instant
	Signature       []byte
}

// Sign checks c, sets KeyID, truncates the times to whole seconds in UTC and signs it with key.
// Ed25519 is deterministic: the same credential and key give the same bytes.
func Sign(c Credential, keyID string, key ed25519.PrivateKey) (Credential, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Credential{}, fmt.Errorf("%w: signing key has %d bytes", ErrInvalid, len(key))
	}
	c.KeyID = keyID
	c.IssuedAt = time.Unix(c.IssuedAt.Unix(), 0).UTC()
	c.ExpiresAt = time.Unix(c.ExpiresAt.Unix(), 0).UTC()
	if err := c.validate(); err != nil {
		return Credential{}, err
	}
	c.Signature = ed25519.Sign(key, c.signedBytes())
	return c, nil
}

// Verify checks the signature with the key lookup names by KeyID, then the validity period against
// now: ErrUnknownKey, ErrSignature, ErrNotYetValid (IssuedAt more than MaxClockSkew ahead) or
// ErrExpired (now at or after ExpiresAt).
func (c Credential) Verify(lookup func(keyID string) (ed25519.PublicKey, bool), now time.Time) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	pub, ok := lookup(c.KeyID)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownKey, c.KeyID)
	}
	if len(pub) != ed25519.PublicKeySize || len(c.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(pub, c.signedBytes(), c.Signature) {
		return ErrSignature
	}
	if now.Add(MaxClockSkew).Before(c.IssuedAt) {
		return fmt.Errorf("%w: issued %s, clock %s", ErrNotYetValid, c.IssuedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Before(c.ExpiresAt) {
		return fmt.Errorf("%w: at %s", ErrExpired, c.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// Hold is the most this credential can spend: CapPerPayment × MaxCodes, the amount the server
// holds on the account when it issues the credential.
func (c Credential) Hold() (money.Amount, error) {
	if c.CapPerPayment > 0 && int64(c.MaxCodes) > (1<<63-1)/c.CapPerPayment {
		return money.Amount{}, fmt.Errorf("%w: hold overflows", ErrInvalid)
	}
	return money.New(c.CapPerPayment*int64(c.MaxCodes), c.Currency)
}

// validate checks every field against the bounds of the encoding.
func (c Credential) validate() error {
	if err := checkID("key id", c.KeyID, MaxKeyIDLen); err != nil {
		return err
	}
	if err := checkID("user id", c.UserID, MaxUserIDLen); err != nil {
		return err
	}
	if err := checkID("authorization id", c.AuthorizationID, MaxAuthorizationIDLen); err != nil {
		return err
	}
	if len(c.DevicePublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: device public key has %d bytes", ErrInvalid, len(c.DevicePublicKey))
	}
	if len(c.Currency) != 3 {
		return fmt.Errorf("%w: currency %q", ErrInvalid, c.Currency)
	}
	if _, err := money.LookupCurrency(c.Currency); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if c.CapPerPayment <= 0 {
		return fmt.Errorf("%w: cap per payment %d", ErrInvalid, c.CapPerPayment)
	}
	if c.MaxCodes == 0 || c.MaxCodes > MaxCodes {
		return fmt.Errorf("%w: max codes %d (1..%d)", ErrInvalid, c.MaxCodes, MaxCodes)
	}
	if _, err := c.Hold(); err != nil {
		return err
	}
	issued, expires := c.IssuedAt.Unix(), c.ExpiresAt.Unix()
	if issued <= 0 || expires > maxUnix || expires <= issued ||
		c.IssuedAt.Nanosecond() != 0 || c.ExpiresAt.Nanosecond() != 0 {
		return fmt.Errorf("%w: validity %d..%d (whole seconds, issued before expiry)", ErrInvalid, issued, expires)
	}
	return nil
}

func checkID(what, s string, max int) error {
	if len(s) == 0 || len(s) > max {
		return fmt.Errorf("%w: %s has %d bytes (1..%d)", ErrInvalid, what, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return fmt.Errorf("%w: %s has byte 0x%02x at %d (printable ASCII only)", ErrInvalid, what, s[i], i)
		}
	}
	return nil
}

// KeySet maps server key ids to public keys; its Lookup method fits Verify.
type KeySet map[string]ed25519.PublicKey

// Lookup returns the key named id.
func (k KeySet) Lookup(id string) (ed25519.PublicKey, bool) {
	pub, ok := k[id]
	return pub, ok
}

// KeySetFrom builds a KeySet from the server keys a wallet or terminal was given (every listed key,
// current or retired, so credentials signed before a rotation still verify). Keys of the wrong
// size are left out.
func KeySetFrom(keys []protocol.ServerKey) KeySet {
	ks := make(KeySet, len(keys))
	for _, k := range keys {
		if len(k.PublicKey) == ed25519.PublicKeySize {
			ks[k.KeyID] = ed25519.PublicKey(k.PublicKey)
		}
	}
	return ks
}
