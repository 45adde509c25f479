package payload

import (
	"errors"
	"testing"

	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// validV1Text is a retired version-1 payload of the fixture credential.
func validV1Text(t testing.TB) string {
	t.Helper()
	text, err := BuildV1(testCredential(t, "alice", serverKey), 3, nowStep, otp.PaymentCode(secret, nowStep, 3), deviceKey)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestRetiredV1 pins the transition: an SP1 payload still parses and its device signature still
// verifies (the server settles SP1 items a terminal approved offline before it was updated), but a
// terminal refuses it and so does every check that needs a current payload, with payload_version.
func TestRetiredV1(t *testing.T) {
	t.Parallel()
	text := validV1Text(t)
	p, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(SP1) = %v", err)
	}
	if p.Version != 1 || p.UserID != "alice" || p.Counter != 3 || p.Step != nowStep || p.MAC != nil {
		t.Fatalf("Parse(SP1) = %+v", p)
	}
	if err := p.VerifyDevice(); err != nil {
		t.Fatalf("VerifyDevice(SP1) = %v", err)
	}
	if _, err := ParseCurrent(text); !errors.Is(err, ErrRetired) || DeclineCode(err) != protocol.CodePayloadVersion {
		t.Fatalf("ParseCurrent(SP1) = %v (%s), want ErrRetired → payload_version", err, DeclineCode(err))
	}
	if err := p.VerifyOffline(serverKeys, eur(100), now); !errors.Is(err, ErrRetired) {
		t.Fatalf("VerifyOffline(SP1) = %v, want ErrRetired", err)
	}
	if err := p.VerifyMAC(secret); !errors.Is(err, ErrMAC) {
		t.Fatalf("VerifyMAC(SP1) = %v, want ErrMAC", err)
	}
	cur, err := ParseCurrent(validText(t))
	if err != nil || cur.Version != Version {
		t.Fatalf("ParseCurrent(SP2) = %v, %v", cur, err)
	}
}

// TestV1SignatureIsVersioned: the same signed bytes under the other version's context do not verify,
// so a version-1 signature cannot be replayed into a version-2 payload or back.
func TestV1SignatureIsVersioned(t *testing.T) {
	t.Parallel()
	p, err := Parse(validV1Text(t))
	if err != nil {
		t.Fatal(err)
	}
	p.Version = Version
	if err := p.VerifyDevice(); !errors.Is(err, ErrDeviceSignature) {
		t.Fatalf("SP1 signature under the SP2 context: %v", err)
	}
}
