package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestSingleApprovalsProvenInAGroup: a terminal that announces group proofs gets each approval
// (payment, refund, void) with a group proof bound to itself and the request's nonce, which
// verifies with the server keys; the same answer is refused as the answer to another request
// (another nonce: a replay), to another terminal, or tampered. A terminal that does not announce
// gets the approval signed alone, as before.
func TestSingleApprovalsProvenInAGroup(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	keys := s.svc.ServerKeys()
	pay := func(term *bench.Terminal, path string, body any) (*protocol.SignedApproval, string) {
		t.Helper()
		ans, err := term.Post(ctx, path, body)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, ans.Status, ans.Body)
		}
		return txnResponse(t, ans).Approval, ans.Nonce
	}
	proven := func(sa *protocol.SignedApproval, nonce, txn string) protocol.Approval {
		t.Helper()
		if sa == nil || sa.Group == nil || sa.Signature != nil {
			t.Fatalf("%s: announced group proofs, got approval %+v", txn, sa)
		}
		a, err := protocol.VerifyApproval(*sa, keys)
		if err != nil || a.TerminalTxnID != txn || a.TerminalID != "T1" {
			t.Fatalf("%s: group approval %+v, %v", txn, a, err)
		}
		if err := sa.CheckBinding("T1", nonce); err != nil {
			t.Fatalf("%s: group approval does not answer its own request: %v", txn, err)
		}
		return a
	}
	code, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	payment := protocol.TransactionRequest{TerminalTxnID: "g-1", Amount: eur(700), Payload: code}

	sh.term.GroupProofs = true
	sa, nonce := pay(sh.term, protocol.PathTransactions, payment)
	if a := proven(sa, nonce, "g-1"); a.Amount != eur(700) {
		t.Fatalf("approval of %v, paid 7.00", a.Amount)
	}
	// The same payment again (a retry after a lost answer), under a new nonce: the same approval,
	// proven for the new request; the first answer does not pass for the new request.
	again, nonce2 := pay(sh.term, protocol.PathTransactions, payment)
	proven(again, nonce2, "g-1")
	if !bytes.Equal(again.Approval, sa.Approval) {
		t.Fatalf("a retry's approval differs:\n%s\n%s", sa.Approval, again.Approval)
	}
	if err := sa.CheckBinding("T1", nonce2); !errors.Is(err, protocol.ErrApprovalBinding) {
		t.Fatalf("replayed group answer (another nonce): %v, want ErrApprovalBinding", err)
	}
	if err := sa.CheckBinding("T2", nonce); !errors.Is(err, protocol.ErrApprovalBinding) {
		t.Fatalf("the answer as another terminal's: %v, want ErrApprovalBinding", err)
	}
	tampered := *sa
	tampered.Approval = bytes.Replace(sa.Approval, []byte(`"minor":700`), []byte(`"minor":70000`), 1)
	if bytes.Equal(tampered.Approval, sa.Approval) {
		t.Fatalf("no amount to tamper with in %s", sa.Approval)
	}
	if _, err := protocol.VerifyApproval(tampered, keys); !errors.Is(err, protocol.ErrApprovalSignature) {
		t.Fatalf("tampered group answer: %v, want ErrApprovalSignature", err)
	}

	// Refunds and voids are single answers too.
	rsa, rnonce := pay(sh.term, protocol.PathRefunds, protocol.RefundRequest{TerminalTxnID: "g-2", TargetTxnID: "g-1", Amount: eur(200)})
	proven(rsa, rnonce, "g-2")
	vsa, vnonce := pay(sh.term, protocol.PathVoids, protocol.VoidRequest{TerminalTxnID: "g-3", TargetTxnID: "g-1"})
	proven(vsa, vnonce, "g-3")

	// A terminal that does not announce group proofs: the approval signed alone, as before.
	sh.term.GroupProofs = false
	old, _ := pay(sh.term, protocol.PathTransactions, payment)
	if old.Group != nil || old.Signature == nil || !bytes.Equal(old.Approval, sa.Approval) {
		t.Fatalf("without the announcement: approval %+v", old)
	}
	if _, err := protocol.VerifyApproval(*old, keys); err != nil {
		t.Fatalf("approval signed alone: %v", err)
	}
	if groups, approvals := s.svc.GroupStats(); groups < 1 || groups > approvals || approvals != 4 {
		t.Fatalf("group stats: %d signatures for %d approvals, want 4 approvals", groups, approvals)
	}
}
