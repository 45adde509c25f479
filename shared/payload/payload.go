// Package payload is the QR payload a customer's phone shows: who pays (user and authorization), a
// one-time payment code with its counter and time step, the server-signed offline credential, an
// optional offer token, the device's signature over all of it, a MAC under a key derived from the
// authorization's secret, and a CRC-32C checksum, as Base45 text behind a fixed prefix.
//
// Version 2 ("SP2:", v2.go) is what wallets build: a compact encoding (packed ids, varints, times
// relative to the credential) that keeps a typical code at QR version 10 and every code at version
// 12 or lower at level L. Terminals, which hold only public keys, verify the device signature and
// the credential offline (VerifyOffline); the server, which holds the secret, verifies the MAC
// (VerifyMAC) and the one-time code instead of the signature. Version 1 ("SP1:", v1.go) is retired:
// Parse still reads it so the server can settle SP1 items a terminal approved offline before it was
// updated, but ParseCurrent and VerifyOffline refuse it (ErrRetired → payload_version).
//
// Parse checks the text's shape and checksum, so a garbled scan fails with ErrChecksum while a
// forgery (which can carry a correct checksum) fails VerifyDevice, VerifyOffline or VerifyMAC. The
// byte layouts are in docs/protocol.md.
package payload

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/stillpay/stillpay/shared/credential"
)

// Version is the payload format wallets build.
const Version = 2

// Prefix starts every current payload text. "SP" + version digit + ":"; every character is in the
// QR alphanumeric set, so the whole text encodes in alphanumeric mode.
const Prefix = "SP2:"

// checksumLen is the CRC-32C at the end of every version's binary.
const checksumLen = 4

// MaxTextLen is the longest text Parse looks at (the longest version-2 text); anything longer is
// ErrTooLong before decoding.
const MaxTextLen = len(Prefix) + (MaxBinaryLen/2*3 + MaxBinaryLen%2*2)

// Errors. Test with errors.Is; DeclineCode maps them to protocol codes.
var (
	ErrTooLong          = errors.New("payload: text too long")
	ErrPrefix           = errors.New("payload: not a stillpay payload")
	ErrEncoding         = errors.New("payload: not valid base45")
	ErrChecksum         = errors.New("payload: checksum mismatch (damaged scan)")
	ErrVersion          = errors.New("payload: unsupported version")
	ErrRetired          = errors.New("payload: version 1 (SP1) is retired; update the wallet")
	ErrMalformed        = errors.New("payload: malformed")
	ErrTooLarge         = errors.New("payload: too large for the QR budget")
	ErrDeviceSignature  = errors.New("payload: device signature does not verify")
	ErrDeviceKey        = errors.New("payload: device key does not match the credential")
	ErrMAC              = errors.New("payload: MAC does not verify")
	ErrCounterExceeded  = errors.New("payload: counter beyond the credential's codes")
	ErrCurrencyMismatch = errors.New("payload: amount currency differs from the credential")
	ErrOverCap          = errors.New("payload: amount over the credential's cap per payment")
	ErrAmount           = errors.New("payload: amount not payable")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Payload is a parsed payload. UserID and AuthorizationID come from the credential: the wire format
// carries them once, inside it.
type Payload struct {
	Version         byte
	UserID          string
	AuthorizationID string
	Counter         uint32
	Step            uint64
	Code            uint32
	Credential      credential.Credential
	// CredentialBytes is the credential's canonical encoding (docs/protocol.md section 2), the bytes
	// the server issued and keeps, whichever encoding the payload carried it in.
	CredentialBytes []byte
	Offer           []byte // version 2: the offer token (shared/offer), opaque here; nil without one
	DeviceSignature []byte
	MAC             []byte // version 2 only

	signed []byte // the bytes the device signed (without the signing context) and the MAC covers
}

// Parse reads a payload text of any version this package knows: the length bound, the prefix,
// Base45, the checksum, the version and the structure (including a strict parse of the credential),
// in that order. It checks no signature and no MAC: terminals call VerifyOffline, the server
// VerifyMAC. A version-1 payload parses (Version 1) so the server can settle offline items approved
// before the upgrade; use ParseCurrent where SP1 must be refused.
func Parse(text string) (*Payload, error) {
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("%w: %d characters (at most %d)", ErrTooLong, len(text), MaxTextLen)
	}
	if len(text) < len(Prefix) || text[:2] != Prefix[:2] || text[3] != ':' {
		return nil, ErrPrefix
	}
	switch text[2] {
	case '2':
		return parseV2(text[len(Prefix):])
	case '1':
		return parseV1(text[len(Prefix):])
	}
	if text[2] >= '0' && text[2] <= '9' {
		return nil, fmt.Errorf("%w: %q", ErrVersion, text[:len(Prefix)])
	}
	return nil, ErrPrefix
}

// ParseCurrent is Parse that refuses retired versions with ErrRetired: what a terminal scanning a
// code, and the server answering an online payment, use.
func ParseCurrent(text string) (*Payload, error) {
	p, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if err := p.CheckCurrent(); err != nil {
		return nil, err
	}
	return p, nil
}

// CheckCurrent returns ErrRetired for a payload of a retired version.
func (p *Payload) CheckCurrent() error {
	if p.Version != Version {
		return fmt.Errorf("%w: payload version %d", ErrRetired, p.Version)
	}
	return nil
}

// VerifyDevice checks the device signature against the credential's device key. It says nothing
// about the credential itself; VerifyOffline checks both.
func (p *Payload) VerifyDevice() error {
	if len(p.Credential.DevicePublicKey) != ed25519.PublicKeySize ||
		!ed25519.Verify(p.Credential.DevicePublicKey, signingBytes(p.Version, p.signed), p.DeviceSignature) {
		return ErrDeviceSignature
	}
	return nil
}

// UseKey identifies this code for single use: the authorization and the counter. Terminals keep a
// seen list and the server a used set keyed by it.
func (p *Payload) UseKey() string {
	return fmt.Sprintf("%s/%d", p.AuthorizationID, p.Counter)
}

// signingBytes is the version's signing context followed by the signed bytes.
func signingBytes(version byte, signed []byte) []byte {
	ctx := SigningContext
	if version == 1 {
		ctx = SigningContextV1
	}
	b := make([]byte, 0, len(ctx)+len(signed))
	return append(append(b, ctx...), signed...)
}
