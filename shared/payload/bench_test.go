package payload

import (
	"testing"

	"github.com/stillpay/stillpay/shared/otp"
)

func BenchmarkBuild(b *testing.B) {
	spec := Spec{Credential: testCredential(b, "alice", serverKey), Secret: secret, Counter: 3, Step: nowStep,
		Code: otp.PaymentCode(secret, nowStep, 3), DeviceKey: deviceKey}
	for b.Loop() {
		if _, err := Build(spec); err != nil {
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

// BenchmarkVerifyServer is the server's per-payment proof check on a version-2 payload: parse, the
// MAC and the one-time code (no Ed25519).
func BenchmarkVerifyServer(b *testing.B) {
	text := validText(b)
	for b.Loop() {
		p, err := Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.VerifyMAC(secret); err != nil {
			b.Fatal(err)
		}
		if err := otp.VerifyPaymentCode(secret, p.Step, p.Counter, p.Code, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyServerV1 is the same check as the server made it before version 2: parse an SP1
// payload, its device signature (Ed25519) and the one-time code. It is the same-run baseline.
func BenchmarkVerifyServerV1(b *testing.B) {
	text := validV1Text(b)
	for b.Loop() {
		p, err := Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.VerifyDevice(); err != nil {
			b.Fatal(err)
		}
		if err := otp.VerifyPaymentCode(secret, p.Step, p.Counter, p.Code, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMAC is the server's MAC check alone: the key derivation and the MAC.
func BenchmarkVerifyMAC(b *testing.B) {
	p, err := Parse(validText(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.VerifyMAC(secret); err != nil {
			b.Fatal(err)
		}
	}
}
