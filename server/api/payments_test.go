package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stillpay/stillpay/shared/payload"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestOnlinePaymentsMoveMoneyAndReplayByteIdentically(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	if got := s.balance("acc-alice"); got != 0 {
		t.Fatalf("after the first approval the customer balance = %d, want 0 (all 100.00 held)", got)
	}
	pay := func(txn string, minor int64, code string) bench.Answer {
		t.Helper()
		ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(minor), Payload: code})
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	code0, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	first := pay("T1-1", 1250, code0)
	if first.Status != http.StatusOK {
		t.Fatalf("payment: %d %s", first.Status, first.Body)
	}
	var resp protocol.TransactionResponse
	if err := first.Decode(&resp); err != nil {
		t.Fatal(err)
	}
	appr, err := protocol.VerifyApproval(*resp.Approval, s.svc.ServerKeys())
	if err != nil {
		t.Fatalf("approval does not verify: %v", err)
	}
	if appr.Amount != eur(1250) || appr.TerminalTxnID != "T1-1" || appr.MerchantID != "M1" || appr.MaskedCustomer != payload.Mask("alice") {
		t.Fatalf("approval = %+v", appr)
	}
	if got, want := s.balance("merchant:M1"), int64(1250); got != want {
		t.Fatalf("merchant balance %d, want %d", got, want)
	}
	// One slot (20.00) came back from the hold, 12.50 went on to the merchant.
	if got, want := s.balance("acc-alice"), int64(2000-1250); got != want {
		t.Fatalf("customer balance %d, want %d", got, want)
	}

	again := pay("T1-1", 1250, code0)
	if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	if got := s.balance("merchant:M1"); got != 1250 {
		t.Fatalf("replay charged again: merchant balance %d", got)
	}
	if p := pay("T1-1", 999, code0).Problem(); p == nil || p.Code != protocol.CodeIdempotencyReused || p.Status != http.StatusConflict {
		t.Fatalf("same key, other body: %+v", p)
	}
	used := pay("T1-2", 100, code0)
	var usedResp protocol.TransactionResponse
	if err := used.Decode(&usedResp); err != nil || used.Status != http.StatusPaymentRequired || usedResp.Code != protocol.CodeCodeUsed {
		t.Fatalf("used code: %d %s", used.Status, used.Body)
	}
	if got := s.balance("merchant:M1"); got != 1250 {
		t.Fatalf("used code moved money: merchant balance %d", got)
	}
}

// TestReplayedSignedRequestsApplyNothing: the nonce is recorded in the same store transaction as the
// payment (service.ProcessSigned), so the exact same signed request again is refused and moves no
// money; and a retry that only replays a stored answer (no store op) still spends its nonce.
func TestReplayedSignedRequestsApplyNothing(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	code, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(protocol.TransactionRequest{TerminalTxnID: "T1-1", Amount: eur(700), Payload: code})
	if err != nil {
		t.Fatal(err)
	}
	// sendTwice sends a freshly signed request, then a copy with the same headers and body.
	sendTwice := func(name string) (first, dup bench.Answer) {
		t.Helper()
		req, err := sh.term.SignedPost(ctx, protocol.PathTransactions, raw)
		if err != nil {
			t.Fatal(err)
		}
		again, err := sh.term.SignedPost(ctx, protocol.PathTransactions, raw)
		if err != nil {
			t.Fatal(err)
		}
		again.Header = req.Header.Clone()
		if first, err = sh.term.Send(req); err != nil {
			t.Fatal(err)
		}
		if dup, err = sh.term.Send(again); err != nil {
			t.Fatal(err)
		}
		if p := dup.Problem(); p == nil || p.Status != http.StatusUnauthorized || p.Code != protocol.CodeNonceReplayed {
			t.Fatalf("%s: the same signed request again = %d %s, want 401 nonce_replayed", name, dup.Status, dup.Body)
		}
		return first, dup
	}
	paid, _ := sendTwice("payment")
	if paid.Status != http.StatusOK {
		t.Fatalf("payment: %d %s", paid.Status, paid.Body)
	}
	if got := s.balance("merchant:M1"); got != 700 {
		t.Fatalf("merchant balance %d after one payment and its replayed request, want 700", got)
	}
	retried, _ := sendTwice("retry with a new signature")
	if retried.Status != paid.Status || !bytes.Equal(retried.Body, paid.Body) {
		t.Fatalf("retry answered %d %s, want the stored answer %s", retried.Status, retried.Body, paid.Body)
	}
	if got := s.balance("merchant:M1"); got != 700 {
		t.Fatalf("merchant balance %d after the retries, want 700", got)
	}
	assertCheck(t, s)
}
