// Package payload is the QR payload a customer's phone shows: who pays (user and authorization), a
// one-time payment code with its counter and time step, the server-signed offline credential, the
// device's signature over all of it, and a CRC-32C checksum, as Base45 text behind a fixed prefix.
//
// Parse checks the text's shape and checksum, so a garbled scan fails with ErrChecksum while a
// forgery (which can carry a correct checksum) fails VerifyDevice or VerifyOffline. The byte layout
// is in docs/protocol.md.
package payload

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
)

// Version is the payload format this package writes and reads.
const Version = 1

// Prefix starts every version-1 payload text. "SP" + version digit + ":"; every character is in the
// QR alphanumeric set, so the whole text encodes in alphanumeric mode.
const Prefix = "SP1:"

// SigningContext separates device signatures from every other signature in the system.
const SigningContext = "stillpay-payload-v1\x00"

// Byte layout (docs/protocol.md).
const (
	offVersion  = 0
	offFactor   = 1  // 8 bytes: step (40 bits) and counter (24 bits), exactly otp.MovingFactor
	offCode     = 9  // 4 bytes
	offCredLen  = 13 // 2 bytes
	headerLen   = 15
	checksumLen = 4
	trailerLen  = ed25519.SignatureSize + checksumLen

	// MinBinaryLen and MaxBinaryLen bound the decoded payload.
	MinBinaryLen = headerLen + credential.MinLen + trailerLen
	MaxBinaryLen = headerLen + credential.MaxLen + trailerLen
	// MaxTextLen is the longest text Parse looks at; anything longer is ErrTooLong before decoding.
	MaxTextLen = len(Prefix) + (MaxBinaryLen/2*3 + MaxBinaryLen%2*2)
)

// Errors. Test with errors.Is; DeclineCode maps them to protocol codes.
var (
	ErrTooLong          = errors.New("payload: text too long")
	ErrPrefix           = errors.New("payload: not a stillpay payload")
	ErrEncoding         = errors.New("payload: not valid base45")
	ErrChecksum         = errors.New("payload: checksum mismatch (damaged scan)")
	ErrVersion          = errors.New("payload: unsupported version")
	ErrMalformed        = errors.New("payload: malformed")
	ErrDeviceSignature  = errors.New("payload: device signature does not verify")
	ErrDeviceKey        = errors.New("payload: device key does not match the credential")
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
	CredentialBytes []byte
	DeviceSignature []byte

	signed []byte // SigningContext-less bytes the device signed: header and credential
}

// Build makes the payload text for one code. credBytes is the credential as the server issued it;
// deviceKey must be the private half of its DevicePublicKey.
func Build(credBytes []byte, counter uint32, step uint64, code uint32, deviceKey ed25519.PrivateKey) (string, error) {
	cred, err := credential.Parse(credBytes)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	if len(deviceKey) != ed25519.PrivateKeySize ||
		!ed25519.PublicKey(deviceKey.Public().(ed25519.PublicKey)).Equal(cred.DevicePublicKey) {
		return "", ErrDeviceKey
	}
	if counter >= cred.MaxCodes {
		return "", fmt.Errorf("%w: counter %d, credential allows %d codes", ErrCounterExceeded, counter, cred.MaxCodes)
	}
	if step >= otp.MaxStep || code >= otp.MaxCode {
		return "", fmt.Errorf("%w: step %d or code out of range", ErrMalformed, step)
	}
	b := make([]byte, headerLen, headerLen+len(credBytes)+trailerLen)
	b[offVersion] = Version
	binary.BigEndian.PutUint64(b[offFactor:], otp.MovingFactor(step, counter))
	binary.BigEndian.PutUint32(b[offCode:], code)
	binary.BigEndian.PutUint16(b[offCredLen:], uint16(len(credBytes)))
	b = append(b, credBytes...)
	b = append(b, ed25519.Sign(deviceKey, signingBytes(b))...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return Prefix + base45.Encode(b), nil
}

// Parse reads a payload text: the length bound, the prefix, Base45, the checksum, the version and
// the structure (including a strict parse of the credential), in that order. It does not verify
// signatures: call VerifyDevice, or VerifyOffline for everything a terminal can check.
func Parse(text string) (*Payload, error) {
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("%w: %d characters (at most %d)", ErrTooLong, len(text), MaxTextLen)
	}
	if len(text) < len(Prefix) || text[:2] != Prefix[:2] || text[3] != ':' {
		return nil, ErrPrefix
	}
	if text[2] != Prefix[2] {
		if text[2] >= '0' && text[2] <= '9' {
			return nil, fmt.Errorf("%w: %q", ErrVersion, text[:len(Prefix)])
		}
		return nil, ErrPrefix
	}
	b, err := base45.Decode(text[len(Prefix):])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncoding, err)
	}
	if len(b) < checksumLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	body := b[:len(b)-checksumLen]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[len(body):]) {
		return nil, ErrChecksum
	}
	if len(body) == 0 || body[offVersion] != Version {
		return nil, fmt.Errorf("%w: binary version %v", ErrVersion, body[:min(1, len(body))])
	}
	if len(b) < MinBinaryLen || len(b) > MaxBinaryLen {
		return nil, fmt.Errorf("%w: %d bytes (%d..%d)", ErrMalformed, len(b), MinBinaryLen, MaxBinaryLen)
	}
	credLen := int(binary.BigEndian.Uint16(b[offCredLen:]))
	if headerLen+credLen+trailerLen != len(b) {
		return nil, fmt.Errorf("%w: credential length %d does not fit %d bytes", ErrMalformed, credLen, len(b))
	}
	credBytes := b[headerLen : headerLen+credLen]
	cred, err := credential.Parse(credBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	factor := binary.BigEndian.Uint64(b[offFactor:])
	p := &Payload{
		Version:         Version,
		UserID:          cred.UserID,
		AuthorizationID: cred.AuthorizationID,
		Counter:         uint32(factor & (otp.MaxCounter - 1)),
		Step:            factor >> otp.CounterBits,
		Code:            binary.BigEndian.Uint32(b[offCode:]),
		Credential:      cred,
		CredentialBytes: credBytes,
		DeviceSignature: b[headerLen+credLen : len(body)],
		signed:          b[:headerLen+credLen],
	}
	if p.Code >= otp.MaxCode {
		return nil, fmt.Errorf("%w: code has more than %d digits", ErrMalformed, otp.Digits)
	}
	return p, nil
}

// VerifyDevice checks the device signature against the credential's device key. It says nothing
// about the credential itself; VerifyOffline checks both.
func (p *Payload) VerifyDevice() error {
	if len(p.Credential.DevicePublicKey) != ed25519.PublicKeySize ||
		!ed25519.Verify(p.Credential.DevicePublicKey, signingBytes(p.signed), p.DeviceSignature) {
		return ErrDeviceSignature
	}
	return nil
}

// UseKey identifies this code for single use: the authorization and the counter. Terminals keep a
// seen list and the server a used set keyed by it.
func (p *Payload) UseKey() string {
	return fmt.Sprintf("%s/%d", p.AuthorizationID, p.Counter)
}

func signingBytes(signed []byte) []byte {
	return append([]byte(SigningContext), signed...)
}
