package payload

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
)

// PrefixV1 starts a retired version-1 payload text.
const PrefixV1 = "SP1:"

// SigningContextV1 separates version-1 device signatures from every other signature.
const SigningContextV1 = "stillpay-payload-v1\x00"

// Version-1 byte layout (docs/protocol.md, "Version 1 (retired)").
const (
	v1OffFactor  = 1  // 8 bytes: step (40 bits) and counter (24 bits), exactly otp.MovingFactor
	v1OffCode    = 9  // 4 bytes
	v1OffCredLen = 13 // 2 bytes
	v1HeaderLen  = 15
	v1TrailerLen = ed25519.SignatureSize + checksumLen

	v1MinBinaryLen = v1HeaderLen + credential.MinLen + v1TrailerLen
	v1MaxBinaryLen = v1HeaderLen + credential.MaxLen + v1TrailerLen
)

// BuildV1 makes a retired version-1 payload text. Wallets build version 2; this is kept for the
// tests of the transition (the server still settles SP1 items a terminal approved offline).
func BuildV1(credBytes []byte, counter uint32, step uint64, code uint32, deviceKey ed25519.PrivateKey) (string, error) {
	cred, err := credential.Parse(credBytes)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	if err := checkInputs(cred, counter, step, code, deviceKey); err != nil {
		return "", err
	}
	b := make([]byte, v1HeaderLen, v1HeaderLen+len(credBytes)+v1TrailerLen)
	b[0] = 1
	binary.BigEndian.PutUint64(b[v1OffFactor:], otp.MovingFactor(step, counter))
	binary.BigEndian.PutUint32(b[v1OffCode:], code)
	binary.BigEndian.PutUint16(b[v1OffCredLen:], uint16(len(credBytes)))
	b = append(b, credBytes...)
	b = append(b, ed25519.Sign(deviceKey, signingBytes(1, b))...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return PrefixV1 + base45.Encode(b), nil
}

// checkInputs checks what every version's Build needs: the device key of the credential, a
// counter within its codes, a step and code in range.
func checkInputs(cred credential.Credential, counter uint32, step uint64, code uint32, deviceKey ed25519.PrivateKey) error {
	if len(deviceKey) != ed25519.PrivateKeySize ||
		!ed25519.PublicKey(deviceKey.Public().(ed25519.PublicKey)).Equal(cred.DevicePublicKey) {
		return ErrDeviceKey
	}
	if counter >= cred.MaxCodes {
		return fmt.Errorf("%w: counter %d, credential allows %d codes", ErrCounterExceeded, counter, cred.MaxCodes)
	}
	if step >= otp.MaxStep || code >= otp.MaxCode {
		return fmt.Errorf("%w: step %d or code out of range", ErrMalformed, step)
	}
	return nil
}

// decodeBody decodes Base45 text and checks the CRC-32C at its end; it returns the bytes before
// the checksum.
func decodeBody(text string) ([]byte, error) {
	b, err := base45.Decode(text)
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
	return body, nil
}

// parseV1 reads the text after "SP1:".
func parseV1(text string) (*Payload, error) {
	body, err := decodeBody(text)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 || body[0] != 1 {
		return nil, fmt.Errorf("%w: binary version %v under prefix %s", ErrVersion, body[:min(1, len(body))], PrefixV1)
	}
	n := len(body) + checksumLen
	if n < v1MinBinaryLen || n > v1MaxBinaryLen {
		return nil, fmt.Errorf("%w: %d bytes (%d..%d)", ErrMalformed, n, v1MinBinaryLen, v1MaxBinaryLen)
	}
	credLen := int(binary.BigEndian.Uint16(body[v1OffCredLen:]))
	if v1HeaderLen+credLen+v1TrailerLen != n {
		return nil, fmt.Errorf("%w: credential length %d does not fit %d bytes", ErrMalformed, credLen, n)
	}
	credBytes := body[v1HeaderLen : v1HeaderLen+credLen]
	cred, err := credential.Parse(credBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	factor := binary.BigEndian.Uint64(body[v1OffFactor:])
	p := &Payload{
		Version:         1,
		UserID:          cred.UserID,
		AuthorizationID: cred.AuthorizationID,
		Counter:         uint32(factor & (otp.MaxCounter - 1)),
		Step:            factor >> otp.CounterBits,
		Code:            binary.BigEndian.Uint32(body[v1OffCode:]),
		Credential:      cred,
		CredentialBytes: credBytes,
		DeviceSignature: body[v1HeaderLen+credLen:],
		signed:          body[:v1HeaderLen+credLen],
	}
	if p.Code >= otp.MaxCode {
		return nil, fmt.Errorf("%w: code has more than %d digits", ErrMalformed, otp.Digits)
	}
	return p, nil
}
