package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrDecrypt is returned for a body that is not a valid aes128gcm Web Push message for the keys.
var ErrDecrypt = errors.New("pushtest: cannot decrypt")

// headerLen is the aes128gcm header with a 65-byte key id: salt, record size, id length, id.
const headerLen = 16 + 4 + 1 + 65

// Decrypt opens an aes128gcm Web Push message (RFC 8291 section 3.4 over RFC 8188) with the user
// agent's private key and authentication secret. The key id is the application server's ephemeral
// public key. Only single-record messages are accepted (what Web Push sends, RFC 8291 section 4).
func Decrypt(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < headerLen+16 {
		return nil, fmt.Errorf("%w: %d bytes", ErrDecrypt, len(body))
	}
	salt, rs, idLen := body[:16], binary.BigEndian.Uint32(body[16:20]), body[20]
	if idLen != 65 {
		return nil, fmt.Errorf("%w: key id of %d bytes", ErrDecrypt, idLen)
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21:headerLen])
	if err != nil {
		return nil, fmt.Errorf("%w: key id: %w", ErrDecrypt, err)
	}
	record := body[headerLen:]
	if rs < 18 || uint32(len(record)) > rs {
		return nil, fmt.Errorf("%w: record of %d bytes, record size %d", ErrDecrypt, len(record), rs)
	}
	secret, err := ua.ECDH(asPub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	// key_info = "WebPush: info" || 0x00 || ua_public || as_public; IKM = HKDF(auth, ecdh, key_info, 32).
	info := append([]byte("WebPush: info\x00"), ua.PublicKey().Bytes()...)
	info = append(info, asPub.Bytes()...)
	ikm, err := hkdf.Key(sha256.New, secret, auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil) // the first record's sequence number is 0
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	// The last record's content ends with the delimiter 0x02, then zero padding (RFC 8188 section 2).
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, fmt.Errorf("%w: no last-record delimiter", ErrDecrypt)
	}
	return plain[:len(plain)-1], nil
}
