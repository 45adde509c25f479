package otp

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// testNow is a fixed instant in the middle of a step.
var testNow = time.Unix(1_750_000_015, 0)

func TestPaymentCode(t *testing.T) {
	t.Parallel()
	step := StepAt(testNow)
	code := PaymentCode(testSecret, step, 7)
	if code >= MaxCode {
		t.Fatalf("code %d has more than %d digits", code, Digits)
	}
	if want := HOTP(sha256.New, testSecret, step<<24|7, Digits); code != want {
		t.Fatalf("PaymentCode = %d, want HOTP-SHA256 over step<<24|counter = %d", code, want)
	}
	seen := map[uint32]uint32{}
	for c := uint32(0); c < 50; c++ {
		code := PaymentCode(testSecret, step, c)
		if prev, dup := seen[code]; dup {
			t.Fatalf("counters %d and %d give the same code %d", prev, c, code)
		}
		seen[code] = c
	}
	if PaymentCode(testSecret, step, 1) == PaymentCode(testSecret, step+1, 1) {
		t.Fatal("the step does not change the code")
	}
}

// verifyCase is one row of the VerifyPaymentCode table; the fuzz target starts from these rows.
type verifyCase struct {
	name    string
	secret  []byte
	step    uint64
	counter uint32
	code    uint32 // used when codeFor is false
	codeFor bool   // the correct code for (step, counter)
	now     time.Time
	want    error
}

func verifyCases() []verifyCase {
	step := StepAt(testNow)
	return []verifyCase{
		{"current step", testSecret, step, 3, 0, true, testNow, nil},
		{"one step old", testSecret, step - 1, 3, 0, true, testNow, nil},
		{"one step ahead", testSecret, step + 1, 3, 0, true, testNow, nil},
		{"two steps old", testSecret, step - 2, 3, 0, true, testNow, ErrCodeExpired},
		{"two steps ahead", testSecret, step + 2, 3, 0, true, testNow, ErrCodeExpired},
		{"wrong code", testSecret, step, 3, 123456789, false, testNow, ErrCodeInvalid},
		{"ten-digit code", testSecret, step, 3, 4_000_000_000, false, testNow, ErrCodeInvalid},
		{"last counter", testSecret, step, MaxCounter - 1, 0, true, testNow, nil},
		{"counter too big", testSecret, step, MaxCounter, 0, true, testNow, ErrCounterRange},
		{"step too big", testSecret, MaxStep, 0, 0, true, testNow, ErrCounterRange},
		{"max step", testSecret, 1<<64 - 1, 0, 0, false, testNow, ErrCounterRange},
		{"short secret", testSecret[:15], step, 0, 0, true, testNow, ErrSecretSize},
		{"step zero at epoch", testSecret, 0, 0, 0, true, time.Unix(0, 0), nil},
	}
}

func TestVerifyPaymentCode(t *testing.T) {
	t.Parallel()
	for _, tt := range verifyCases() {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.code
			if tt.codeFor {
				code = PaymentCode(tt.secret, tt.step, tt.counter)
			}
			err := VerifyPaymentCode(tt.secret, tt.step, tt.counter, code, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifyPaymentCode = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyPaymentCodeOtherSecret(t *testing.T) {
	t.Parallel()
	step := StepAt(testNow)
	other := append([]byte(nil), testSecret...)
	other[0] ^= 1
	err := VerifyPaymentCode(other, step, 0, PaymentCode(testSecret, step, 0), testNow)
	if !errors.Is(err, ErrCodeInvalid) {
		t.Fatalf("code checked with another secret: %v, want ErrCodeInvalid", err)
	}
}

func TestCheckStepWindow(t *testing.T) {
	t.Parallel()
	// A code made at the very end of step s is still good until the end of step s+1 and no later.
	s := StepAt(testNow)
	end := StepStart(s + 2).Add(-time.Nanosecond)
	if err := CheckStep(s, end); err != nil {
		t.Errorf("last instant of step s+1: %v", err)
	}
	if err := CheckStep(s, StepStart(s+2)); !errors.Is(err, ErrCodeExpired) {
		t.Errorf("first instant of step s+2: %v, want ErrCodeExpired", err)
	}
	if err := CheckStep(s, StepStart(s-1)); err != nil {
		t.Errorf("verifier clock one step behind: %v", err)
	}
	if err := CheckStep(s, StepStart(s-1).Add(-time.Nanosecond)); !errors.Is(err, ErrCodeExpired) {
		t.Errorf("verifier clock two steps behind: %v, want ErrCodeExpired", err)
	}
}

// FuzzVerifyPaymentCode checks that no input panics and that only the true code verifies.
func FuzzVerifyPaymentCode(f *testing.F) {
	for _, tt := range verifyCases() {
		code := tt.code
		if tt.codeFor {
			code = PaymentCode(tt.secret, tt.step, tt.counter)
		}
		f.Add(tt.secret, tt.step, tt.counter, code, tt.now.Unix())
	}
	f.Fuzz(func(t *testing.T, secret []byte, step uint64, counter uint32, code uint32, now int64) {
		err := VerifyPaymentCode(secret, step, counter, code, time.Unix(now, 0))
		if err == nil {
			if code != PaymentCode(secret, step, counter) {
				t.Fatalf("accepted code %d, true code is %d", code, PaymentCode(secret, step, counter))
			}
			if code >= MaxCode {
				t.Fatalf("accepted a %d-digit code", Digits+1)
			}
		}
		if err != nil && !errors.Is(err, ErrCodeInvalid) && !errors.Is(err, ErrCodeExpired) &&
			!errors.Is(err, ErrCounterRange) && !errors.Is(err, ErrSecretSize) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// FuzzHOTP checks the truncation against the RFC vectors' keys and any counter: fewer digits are
// always the low digits of the 31-bit value.
func FuzzHOTP(f *testing.F) {
	for counter := range rfc4226Vectors {
		f.Add(rfc4226Secret, uint64(counter), 6)
	}
	for _, v := range rfc6238Vectors {
		f.Add(rfc6238Keys[v.hash].key, uint64(v.unix/30), 8)
	}
	f.Fuzz(func(t *testing.T, key []byte, counter uint64, digits int) {
		full := HOTP(sha256.New, key, counter, MaxDigits)
		got := HOTP(sha256.New, key, counter, digits)
		if full >= 1<<31 {
			t.Fatalf("31-bit value %d too large", full)
		}
		if digits >= 1 && digits < MaxDigits {
			if got != full%pow10(digits) || got >= pow10(digits) {
				t.Fatalf("HOTP digits=%d = %d, full value %d", digits, got, full)
			}
		} else if got != full {
			t.Fatalf("HOTP digits=%d = %d, want the full value %d", digits, got, full)
		}
	})
}

func BenchmarkVerifyPaymentCode(b *testing.B) {
	step := StepAt(testNow)
	code := PaymentCode(testSecret, step, 3)
	for b.Loop() {
		if err := VerifyPaymentCode(testSecret, step, 3, code, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
