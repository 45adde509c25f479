package credential

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"
)

// signedBytes is SigningContext followed by the encoding without the signature.
func (c Credential) signedBytes() []byte {
	b := make([]byte, 0, len(SigningContext)+MaxLen)
	b = append(b, SigningContext...)
	return c.appendBody(b)
}

// appendBody appends every field but the signature, in layout order.
func (c Credential) appendBody(b []byte) []byte {
	b = append(b, FormatVersion)
	b = append(b, byte(len(c.KeyID)))
	b = append(b, c.KeyID...)
	b = append(b, byte(len(c.UserID)))
	b = append(b, c.UserID...)
	b = append(b, byte(len(c.AuthorizationID)))
	b = append(b, c.AuthorizationID...)
	b = append(b, c.DevicePublicKey...)
	b = append(b, c.Currency...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.CapPerPayment))
	b = binary.BigEndian.AppendUint32(b, c.MaxCodes)
	b = binary.BigEndian.AppendUint64(b, uint64(c.IssuedAt.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.ExpiresAt.Unix()))
	return b
}

// Marshal returns the binary encoding (docs/protocol.md). It does not check c: Sign and Parse only
// ever produce valid credentials, and Parse rejects an encoding of an invalid one.
func (c Credential) Marshal() []byte {
	b := make([]byte, 0, MaxLen)
	b = c.appendBody(b)
	return append(b, c.Signature...)
}

// Parse reads an encoded credential strictly: the exact length, the version, every bound, and no
// trailing bytes. It does not verify the signature (Verify does). Errors wrap ErrMalformed (and
// ErrVersion or ErrInvalid where that is the cause).
func Parse(b []byte) (Credential, error) {
	if len(b) < MinLen || len(b) > MaxLen {
		return Credential{}, fmt.Errorf("%w: %d bytes (%d..%d)", ErrMalformed, len(b), MinLen, MaxLen)
	}
	if b[0] != FormatVersion {
		return Credential{}, fmt.Errorf("%w: %w: %d", ErrMalformed, ErrVersion, b[0])
	}
	r := reader{b: b[1:]}
	var c Credential
	c.KeyID = r.shortString()
	c.UserID = r.shortString()
	c.AuthorizationID = r.shortString()
	c.DevicePublicKey = ed25519.PublicKey(r.bytes(ed25519.PublicKeySize))
	c.Currency = string(r.bytes(3))
	c.CapPerPayment = int64(r.uint64())
	c.MaxCodes = r.uint32()
	c.IssuedAt = time.Unix(int64(r.uint64()), 0).UTC()
	c.ExpiresAt = time.Unix(int64(r.uint64()), 0).UTC()
	c.Signature = r.bytes(ed25519.SignatureSize)
	if r.short {
		return Credential{}, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	if len(r.b) != 0 {
		return Credential{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	if err := c.validate(); err != nil {
		return Credential{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return c, nil
}

// reader consumes b front to back; once short is set every read returns zero values.
type reader struct {
	b     []byte
	short bool
}

func (r *reader) bytes(n int) []byte {
	if r.short || n > len(r.b) {
		r.short = true
		return nil
	}
	out := make([]byte, n)
	copy(out, r.b[:n])
	r.b = r.b[n:]
	return out
}

func (r *reader) shortString() string {
	n := r.bytes(1)
	if n == nil {
		return ""
	}
	return string(r.bytes(int(n[0])))
}

func (r *reader) uint64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
