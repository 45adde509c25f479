package ledger

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestCheckCodeStep(t *testing.T) {
	issued := time.Date(2026, 3, 2, 10, 0, 10, 0, time.UTC)
	a := store.Authorization{ID: "Z", CreatedAt: issued, ExpiresAt: issued.Add(time.Hour), RevokedAt: issued.Add(30 * time.Minute)}
	live := a
	live.RevokedAt = time.Time{}
	rows := []struct {
		name string
		a    store.Authorization
		made time.Time
		want protocol.Code
	}{
		{"at issue", a, issued, ""},
		{"within the terminals' clock skew before issue", a, issued.Add(-5 * time.Minute), ""},
		{"a step more than that before", a, issued.Add(-5*time.Minute - 30*time.Second), ""},
		{"two steps more: before the credential", a, issued.Add(-6*time.Minute - 30*time.Second), protocol.CodeCredentialInvalid},
		{"an hour before", a, issued.Add(-time.Hour), protocol.CodeCredentialInvalid},
		{"just before the revocation", a, a.RevokedAt.Add(-time.Second), ""},
		{"within the slack after the revocation", a, a.RevokedAt.Add(29 * time.Second), ""},
		{"beyond the slack after the revocation", a, a.RevokedAt.Add(60 * time.Second), protocol.CodeCredentialRevoked},
		{"not revoked: before expiry", live, live.ExpiresAt.Add(-time.Second), ""},
		{"beyond the slack after expiry", live, live.ExpiresAt.Add(60 * time.Second), protocol.CodeCredentialExpired},
	}
	for _, r := range rows {
		code, msg := CheckCodeStep(r.a, otp.StepAt(r.made))
		if code != r.want || (code != "") != (msg != "") {
			t.Errorf("%s: %q %q, want %q", r.name, code, msg, r.want)
		}
	}
}

// TestApplyChecksTheCodeStep: the store checks the signed step in its own transaction, so an item
// the service passed before a revocation landed is still refused when its code was made after it.
func TestApplyChecksTheCodeStep(t *testing.T) {
	m := world(t) // Z2 revoked at t0+30m
	op := opSpec{Kind: 1, Auth: 2, Txn: 1, Counter: 1, Amount: 5, At: 50, ApprovedAt: 29}.op()
	op.CodeStep = otp.StepAt(t0.Add(35 * time.Minute))
	o, err := Apply(m, op)
	if err != nil || o.Code != protocol.CodeCredentialRevoked {
		t.Fatalf("offline item approved before the revocation by the terminal's clock, made after it by the phone's: %+v %v", o, err)
	}
	op = opSpec{Kind: 1, Auth: 2, Txn: 2, Counter: 1, Amount: 5, At: 50, ApprovedAt: 29}.op()
	op.CodeStep = otp.StepAt(t0.Add(29 * time.Minute))
	if o, err := Apply(m, op); err != nil || !o.Approved() {
		t.Fatalf("offline item made and approved before the revocation: %+v %v", o, err)
	}
}
