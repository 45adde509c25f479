// Package pin hashes and checks the supervisor PIN that protects refunds and voids at the lane
// (refunds.pin_hash in posagent.yaml). The config holds only a salted PBKDF2-SHA-256 hash, never the
// PIN; `posagent pin-hash` makes one.
package pin

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of Parse and Check. Test with errors.Is.
var (
	ErrMalformed = errors.New("pin: not a PIN hash made by `posagent pin-hash`")
	ErrWeak      = errors.New("pin: a PIN has 4 to 12 digits")
)

const (
	scheme     = "pbkdf2-sha256"
	iterations = 200_000
	saltLen    = 16
	keyLen     = 32
	// MinIterations refuses a hash too cheap to brute-force slowly.
	minIterations = 10_000
)

// Hash is a parsed PIN hash.
type Hash struct {
	iter int
	salt []byte
	key  []byte
}

// CheckPIN reports whether p is a PIN: 4 to 12 ASCII digits.
func CheckPIN(p string) error {
	if len(p) < 4 || len(p) > 12 {
		return ErrWeak
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return ErrWeak
		}
	}
	return nil
}

// New hashes p with a fresh salt and returns the text for refunds.pin_hash.
func New(p string) (string, error) {
	if err := CheckPIN(p); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, p, salt, iterations, keyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s$%d$%s$%s", scheme, iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Parse reads a hash made by New.
func Parse(text string) (Hash, error) {
	parts := strings.Split(text, "$")
	if len(parts) != 4 || parts[0] != scheme {
		return Hash{}, ErrMalformed
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < minIterations || iter > 10_000_000 {
		return Hash{}, fmt.Errorf("%w: iterations %q", ErrMalformed, parts[1])
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[2])
	if err != nil || len(salt) < 8 {
		return Hash{}, fmt.Errorf("%w: salt", ErrMalformed)
	}
	key, err := enc.DecodeString(parts[3])
	if err != nil || len(key) != keyLen {
		return Hash{}, fmt.Errorf("%w: key", ErrMalformed)
	}
	return Hash{iter: iter, salt: salt, key: key}, nil
}

// Check reports whether p is the PIN h was made from, in time independent of where they differ.
func (h Hash) Check(p string) bool {
	if len(h.key) == 0 || CheckPIN(p) != nil {
		return false
	}
	key, err := pbkdf2.Key(sha256.New, p, h.salt, h.iter, keyLen)
	return err == nil && subtle.ConstantTimeCompare(key, h.key) == 1
}
