package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestBackDatedOfflineItemsAreRefused is issue #10 point 5: an offline item's approved_at is the
// terminal's word, so the time that counts is the one the phone signed (the code's time step). Items
// whose code was made before the credential was issued, or after it was revoked (beyond the one-step
// slack), are refused with the credential's code and a message naming the signed time, whatever
// approved_at says; an honest item made just before the revocation still settles.
func TestBackDatedOfflineItemsAreRefused(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	w := sh.wallet
	issued := s.clock.Now()
	v1 := func(counter uint32, at time.Time) string {
		t.Helper()
		step := otp.StepAt(at)
		text, err := payload.BuildV1(w.Auth.Credential, counter, step, otp.PaymentCode(w.Auth.Secret, step, counter), w.Key)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	v2 := func(counter uint32, at time.Time) string {
		t.Helper()
		text, err := w.CodeAt(counter, at)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	offline := func(id string, text string, approvedAt time.Time) protocol.TransactionResponse {
		t.Helper()
		ans := post(t, sh.term, protocol.PathBatches, protocol.BatchRequest{BatchID: "b-" + id, Items: []protocol.BatchItem{
			{Kind: protocol.KindOffline, TerminalTxnID: id, Amount: eur(500), Payload: text, ApprovedAt: approvedAt}}})
		var br protocol.BatchResponse
		if ans.Status != http.StatusOK || ans.Decode(&br) != nil || len(br.Results) != 1 {
			t.Fatalf("%s: %d %s", id, ans.Status, ans.Body)
		}
		return br.Results[0]
	}
	want := func(id string, r protocol.TransactionResponse, code protocol.Code, words string) {
		t.Helper()
		if r.Status != protocol.StatusDeclined || r.Code != code || !strings.Contains(r.Message, words) {
			t.Errorf("%s: %s %s (%s); want declined %s saying %q", id, r.Status, r.Code, r.Message, code, words)
		}
	}
	// Made (and dated) before the credential was issued: seven minutes (the most an SP2 payload can
	// carry), and an hour with an SP1 payload.
	early := issued.Add(-7 * time.Minute)
	want("pre-issue SP2", offline("o1", v2(0, early), early), protocol.CodeCredentialInvalid, "before authorization")
	early = issued.Add(-time.Hour)
	want("pre-issue SP1", offline("o2", v1(4, early), early), protocol.CodeCredentialInvalid, "before authorization")

	// An honest offline sale 20 seconds before the revocation, forwarded later: it settles.
	s.clock.Advance(10 * time.Minute)
	honestAt := s.clock.Now()
	honest := v2(1, honestAt)
	s.clock.Advance(20 * time.Second)
	revokedAt := s.clock.Now()
	if _, err := s.admin.Revoke(ctx, admin.RevokeAuthorization, w.Auth.AuthorizationID); err != nil {
		t.Fatal(err)
	}
	// Two minutes after the revocation a code is made (a screenshot, say); the terminal dates it a
	// minute before the revocation.
	s.clock.Advance(2 * time.Minute)
	backDated := revokedAt.Add(-time.Minute)
	want("made after revocation, SP2", offline("o3", v2(2, s.clock.Now()), backDated), protocol.CodeCredentialRevoked, "after authorization")
	want("made after revocation, SP1", offline("o4", v1(3, s.clock.Now()), backDated), protocol.CodeCredentialRevoked, "after authorization")
	if r := offline("o5", honest, honestAt); r.Status != protocol.StatusApproved {
		t.Errorf("honest offline sale before the revocation: %s %s (%s); the guarantee says it settles", r.Status, r.Code, r.Message)
	}
	if got := s.balance("merchant:M1"); got != 500 {
		t.Errorf("merchant balance %d, want 500 (the honest sale only)", got)
	}
	assertCheck(t, s)
}
