// Package otp implements the one-time codes of stillpay: HOTP (RFC 4226) and TOTP (RFC 6238), and the
// payment code built on them, which binds a time step and a per-authorization counter.
//
// The same package generates codes (the wallet) and verifies them (the server, and the terminal for
// the time window), so both sides cannot drift apart. It also holds the allocation-free HMAC-SHA-256
// and HKDF-SHA-256 (hmac.go) that the payment code and the payload MAC are built on.
package otp

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash"
	"time"
)

// Parameters of the payment code. See docs/security.md for why these values.
const (
	// SecretSize is the length of a per-authorization secret: 256 bits, above RFC 4226's 160-bit advice.
	SecretSize = 32
	// MinSecretSize is the shortest key VerifyPaymentCode accepts (RFC 4226 §4 R6: at least 128 bits).
	MinSecretSize = 16
	// Digits is the length of a payment code. 9 digits is the most the 31-bit dynamic truncation
	// covers uniformly enough (2^31 / 10^9 ≈ 2.1), and the issue asks for at least 8.
	Digits = 9
	// StepSeconds is the TOTP time step X.
	StepSeconds = 30
	// MaxSkewSteps is how many steps a code's step may be from the verifier's clock (RFC 6238 §5.2
	// recommends at most one). A code is therefore good for 30 to 60 seconds after it is made.
	MaxSkewSteps = 1
)

// MaxDigits is the most digits HOTP can produce: the truncated value has 31 bits (< 10^10).
const MaxDigits = 10

// NewSecret returns SecretSize random bytes from crypto/rand.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("otp: secret: %w", err)
	}
	return b, nil
}

// HOTP computes RFC 4226 HOTP(K, C) with the given hash (RFC 4226 uses SHA-1; RFC 6238 allows
// SHA-256 and SHA-512) and dynamic truncation, reduced to digits decimal digits. digits outside
// 1..MaxDigits is treated as MaxDigits, which leaves the 31-bit value unreduced.
func HOTP(newHash func() hash.Hash, key []byte, counter uint64, digits int) uint32 {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(newHash, key)
	mac.Write(msg[:])
	return truncate(mac.Sum(nil), digits)
}

// truncate is RFC 4226's dynamic truncation of an HMAC, reduced to digits decimal digits (digits
// outside 1..MaxDigits-1: the 31-bit value unreduced).
func truncate(sum []byte, digits int) uint32 {
	offset := int(sum[len(sum)-1] & 0x0f)
	v := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff
	if digits < 1 || digits >= MaxDigits {
		return v
	}
	return v % pow10(digits)
}

// TOTP computes RFC 6238 TOTP at time t with T0 = 0: HOTP(K, floor(unix(t) / stepSeconds)).
// stepSeconds <= 0 means StepSeconds; times before 1970 use step 0.
func TOTP(newHash func() hash.Hash, key []byte, t time.Time, stepSeconds int64, digits int) uint32 {
	return HOTP(newHash, key, stepOf(t, stepSeconds), digits)
}

// StepAt returns the payment-code time step (StepSeconds long) that contains t.
func StepAt(t time.Time) uint64 {
	return stepOf(t, StepSeconds)
}

// StepStart returns the first instant of step.
func StepStart(step uint64) time.Time {
	return time.Unix(int64(step)*StepSeconds, 0).UTC()
}

func stepOf(t time.Time, stepSeconds int64) uint64 {
	if stepSeconds <= 0 {
		stepSeconds = StepSeconds
	}
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u / stepSeconds)
}

func pow10(n int) uint32 {
	p := uint32(1)
	for range n {
		p *= 10
	}
	return p
}
