package api

import (
	"bytes"
	"context"
	"github.com/stillpay/stillpay/shared/payload"
	"net/http"
	"testing"

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
