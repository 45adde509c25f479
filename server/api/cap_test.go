package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestOnlinePaymentsKeepTheCredentialCap is the attack of issue #10 point 1: a code of a credential
// with a 20.00 EUR cap paid 820.00 EUR online and emptied the account. An online amount over the cap
// is declined confirmation_required with a message that sends the cashier to a merchant-presented
// order; no money moves and the code stays unused, so the customer's next payment within the cap
// with the same code is approved.
func TestOnlinePaymentsKeepTheCredentialCap(t *testing.T) {
	s := newStack(t)
	sh := s.newShop() // alice: 100.00 EUR, all of it held for a 20.00 × 5 credential
	ctx := context.Background()
	// As for the campaign's victim, the account holds more than the credential's hold: 1,000.00 EUR,
	// of which a 20.00 × 5 credential holds 100.00.
	if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-rich", UserID: "alice", OpeningBalance: eur(100_000)}); err != nil {
		t.Fatal(err)
	}
	code, err := s.authorize("acc-rich", 2000, 5).Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, minor := range []int64{2001, 82_000} {
		ans := post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "big" + eur(minor).Decimal(), Amount: eur(minor), Payload: code})
		r := txnResponse(t, ans)
		if ans.Status != http.StatusPaymentRequired || r.Code != protocol.CodeConfirmationRequired ||
			!strings.Contains(r.Message, "20.00 EUR") || !strings.Contains(r.Message, "/v1/orders") {
			t.Fatalf("online %s over the 20.00 cap: %d %s; want a 402 confirmation_required naming the cap and the order endpoint", eur(minor), ans.Status, ans.Body)
		}
	}
	if got := s.balance("merchant:M1"); got != 0 {
		t.Fatalf("an over-cap payment moved money: merchant balance %d", got)
	}
	if got := s.balance("acc-rich"); got != 90_000 {
		t.Fatalf("customer balance %d, want 90000 (1,000.00 less the 100.00 hold)", got)
	}
	ok := post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "at-cap", Amount: eur(2000), Payload: code})
	if r := txnResponse(t, ok); ok.Status != http.StatusOK || r.Status != protocol.StatusApproved {
		t.Fatalf("the same code at the cap: %d %s; the over-cap declines must not use it", ok.Status, ok.Body)
	}
	if got := s.balance("merchant:M1"); got != 2000 {
		t.Fatalf("merchant balance %d, want 2000", got)
	}
	assertCheck(t, s)
}
