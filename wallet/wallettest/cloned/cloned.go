// Package cloned plays a cloned phone in tests: an attacker who copied a wallet's files (the
// credential, the authorization secret and the device key) and so makes payloads whose proofs (MAC,
// device signature) are valid, with any code. End-to-end tests of the server's code-guessing
// throttle use it.
package cloned

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/wallet"
)

// Phone is a copy of one wallet's authorization and device key.
type Phone struct {
	Auth wallet.Authorization
	Key  ed25519.PrivateKey
}

// Clone reads the wallet files in home, failing t if it cannot.
func Clone(t testing.TB, home string) Phone {
	t.Helper()
	st := wallet.DirStore{Home: home}
	a, err := st.LoadAuthorization()
	if err != nil {
		t.Fatal(err)
	}
	key, err := st.DeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	return Phone{Auth: a, Key: key}
}

// Code is the payload of counter at time at: with the right code, or a wrong one.
func (p Phone) Code(t testing.TB, counter uint32, at time.Time, right bool) string {
	t.Helper()
	step := otp.StepAt(at)
	code := otp.PaymentCode(p.Auth.Secret, step, counter)
	if !right {
		code = (code + 1) % otp.MaxCode
	}
	text, err := payload.Build(payload.Spec{Credential: p.Auth.Credential, Secret: p.Auth.Secret, Counter: counter, Step: step, Code: code, DeviceKey: p.Key})
	if err != nil {
		t.Fatal(err)
	}
	return text
}
