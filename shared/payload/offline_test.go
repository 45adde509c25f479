package payload

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestVerifyOffline(t *testing.T) {
	t.Parallel()
	cred := testCredential(t, "alice", serverKey)
	forgedCred := testCredential(t, "alice", otherKey)
	expiry := issued.Add(24 * time.Hour)
	lastStep := otp.StepAt(expiry.Add(-time.Second))
	tests := []struct {
		name   string
		text   string
		amount money.Amount
		at     time.Time
		keys   func(string) (ed25519.PublicKey, bool)
		want   error
		code   protocol.Code
	}{
		{"valid", build(t, cred, 0, nowStep), eur(2000), now, serverKeys, nil, ""},
		{"last code", build(t, cred, 9, nowStep), eur(1), now, serverKeys, nil, ""},
		{"code made one step ago", build(t, cred, 0, nowStep-1), eur(1), now, serverKeys, nil, ""},
		{"code made two steps ago", build(t, cred, 0, nowStep-2), eur(1), now, serverKeys, otp.ErrCodeExpired, protocol.CodeCodeExpired},
		{"code from the future", build(t, cred, 0, nowStep+2), eur(1), now, serverKeys, otp.ErrCodeExpired, protocol.CodeCodeExpired},
		{"over cap", build(t, cred, 0, nowStep), eur(2001), now, serverKeys, ErrOverCap, protocol.CodeOverCap},
		{"other currency", build(t, cred, 0, nowStep), money.Amount{Minor: 100, Currency: "USD"}, now, serverKeys, ErrCurrencyMismatch, protocol.CodeCurrencyMismatch},
		{"zero amount", build(t, cred, 0, nowStep), eur(0), now, serverKeys, ErrAmount, protocol.CodeInvalidAmount},
		{"negative amount", build(t, cred, 0, nowStep), eur(-5), now, serverKeys, ErrAmount, protocol.CodeInvalidAmount},
		{"unknown currency", build(t, cred, 0, nowStep), money.Amount{Minor: 1, Currency: "XXX"}, now, serverKeys, ErrAmount, protocol.CodeInvalidAmount},
		{"credential expired", build(t, cred, 0, lastStep), eur(1), expiry, serverKeys, credential.ErrExpired, protocol.CodeCredentialExpired},
		{"credential forged", build(t, forgedCred, 0, nowStep), eur(1), now, serverKeys, credential.ErrSignature, protocol.CodeCredentialInvalid},
		{"server key unknown", build(t, cred, 0, nowStep), eur(1), now, credential.KeySet{}.Lookup, credential.ErrUnknownKey, protocol.CodeCredentialInvalid},
		{"device signature by another key", textOf(resign(binaryOf(t, build(t, cred, 0, nowStep)), otherKey), true), eur(1), now, serverKeys, ErrDeviceSignature, protocol.CodeDeviceSignature},
		{"counter beyond codes", textOf(counterTo(t, binaryOf(t, build(t, cred, 0, nowStep)), 10), true), eur(1), now, serverKeys, ErrCounterExceeded, protocol.CodeOfflineCountExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = p.VerifyOffline(tt.keys, tt.amount, tt.at)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("VerifyOffline = %v, want %v", err, tt.want)
			}
			if got := DeclineCode(err); got != tt.code {
				t.Fatalf("DeclineCode(%v) = %q, want %q", err, got, tt.code)
			}
		})
	}
}

// counterTo sets the counter in a payload binary and seals it again.
func counterTo(t testing.TB, b []byte, counter uint32) []byte {
	return join(fieldsOf(t, b), fCounter, binary.AppendUvarint(nil, uint64(counter)))
}

func TestDeclineCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want protocol.Code
	}{
		{nil, ""},
		{errors.New("disk full"), ""},
		{ErrChecksum, protocol.CodePayloadChecksum},
		{fmt.Errorf("scan: %w", ErrVersion), protocol.CodePayloadVersion},
		{ErrPrefix, protocol.CodePayloadMalformed},
		{ErrTooLong, protocol.CodePayloadMalformed},
		{ErrEncoding, protocol.CodePayloadMalformed},
		{fmt.Errorf("%w: %w", ErrMalformed, credential.ErrMalformed), protocol.CodePayloadMalformed},
		{ErrDeviceSignature, protocol.CodeDeviceSignature},
		{ErrMAC, protocol.CodePayloadMAC},
		{fmt.Errorf("scan: %w", ErrRetired), protocol.CodePayloadVersion},
		{ErrTooLarge, protocol.CodePayloadMalformed},
		{credential.ErrNotYetValid, protocol.CodeCredentialInvalid},
		{otp.ErrCodeInvalid, protocol.CodeCodeInvalid},
		{otp.ErrCounterRange, protocol.CodeCodeInvalid},
	}
	for _, tt := range tests {
		if got := DeclineCode(tt.err); got != tt.want {
			t.Errorf("DeclineCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ user, want string }{
		{"a", "***"},
		{"bob", "***"},
		{"carl", "c***l"},
		{"alice", "a***e"},
		{"bernard", "b***d"},
		{"caroline", "ca***ne"},
		{"alice@example.com", "al***om"},
	}
	for _, tt := range tests {
		if got := Mask(tt.user); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.user, got, tt.want)
		}
	}
	p, err := Parse(validText(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Masked() != "a***e" {
		t.Fatalf("Masked = %q", p.Masked())
	}
}
