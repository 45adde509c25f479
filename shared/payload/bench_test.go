package payload

import (
	"testing"

	"github.com/stillpay/stillpay/shared/otp"
)

func BenchmarkBuild(b *testing.B) {
	cred := testCredential(b, "alice", serverKey)
	code := otp.PaymentCode(secret, nowStep, 3)
	for b.Loop() {
		if _, err := Build(cred, 3, nowStep, code, deviceKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	text := validText(b)
	for b.Loop() {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOffline is the terminal's whole offline check: two Ed25519 verifications.
func BenchmarkVerifyOffline(b *testing.B) {
	text := validText(b)
	for b.Loop() {
		p, err := Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.VerifyOffline(serverKeys, eur(100), now); err != nil {
			b.Fatal(err)
		}
	}
}
