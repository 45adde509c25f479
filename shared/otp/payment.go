package otp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Bounds of the payment code's moving factor, step<<24 | counter, which fills the 8-byte HOTP counter
// exactly: 40 bits of time step (good until the year 34,000) and 24 bits of counter.
const (
	CounterBits = 24
	// MaxCounter is one more than the largest counter: counters run 0 .. MaxCounter-1.
	MaxCounter = 1 << CounterBits
	// MaxStep is one more than the largest time step.
	MaxStep = 1 << (64 - CounterBits)
	// MaxCode is one more than the largest Digits-digit code.
	MaxCode = 1_000_000_000
)

// Errors from VerifyPaymentCode and CheckStep. Test with errors.Is.
var (
	ErrCodeInvalid  = errors.New("otp: code does not match")
	ErrCodeExpired  = errors.New("otp: code's time step is outside the allowed window")
	ErrCounterRange = errors.New("otp: counter or step out of range")
	ErrSecretSize   = errors.New("otp: secret too short")
)

// MovingFactor is the HOTP counter of a payment code: step<<24 | counter. Callers keep
// counter < MaxCounter and step < MaxStep; VerifyPaymentCode refuses anything else.
func MovingFactor(step uint64, counter uint32) uint64 {
	return step<<CounterBits | uint64(counter)&(MaxCounter-1)
}

// PaymentCode is the Digits-digit code for (step, counter): HOTP-SHA256 over MovingFactor. Binding
// the counter makes every code of an authorization different even within one time step; binding
// the step makes a code expire. It is HOTP(sha256.New, secret, MovingFactor(step, counter), Digits), computed without allocating
// (HMACSHA256): the server checks one per payment.
func PaymentCode(secret []byte, step uint64, counter uint32) uint32 {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], MovingFactor(step, counter))
	var sum [sha256.Size]byte
	HMACSHA256(&sum, secret, msg[:])
	return truncate(sum[:], Digits)
}

// VerifyPaymentCode checks code against secret for (step, counter) at the verifier's time now.
// It checks the ranges, then the time window (ErrCodeExpired), then the code in constant time
// (ErrCodeInvalid). Single use is the caller's job: it must record (authorization, counter).
func VerifyPaymentCode(secret []byte, step uint64, counter uint32, code uint32, now time.Time) error {
	if len(secret) < MinSecretSize {
		return fmt.Errorf("%w: %d bytes", ErrSecretSize, len(secret))
	}
	if counter >= MaxCounter || step >= MaxStep {
		return fmt.Errorf("%w: step %d counter %d", ErrCounterRange, step, counter)
	}
	if err := CheckStep(step, now); err != nil {
		return err
	}
	var want, got [4]byte
	binary.BigEndian.PutUint32(want[:], PaymentCode(secret, step, counter))
	binary.BigEndian.PutUint32(got[:], code)
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return ErrCodeInvalid
	}
	return nil
}

// CheckStep reports whether step is within MaxSkewSteps of the step containing at. The terminal
// uses it offline against its own clock; the server uses it for offline items against the time the
// terminal approved them.
func CheckStep(step uint64, at time.Time) error {
	cur := StepAt(at)
	if step+MaxSkewSteps < cur || step > cur+MaxSkewSteps {
		return fmt.Errorf("%w: step %d, clock at step %d (±%d allowed)", ErrCodeExpired, step, cur, MaxSkewSteps)
	}
	return nil
}
