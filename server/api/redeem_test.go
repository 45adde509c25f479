package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet"
)

// TestOfferRedemption: a payment whose code carries the customer's offer and whose request carries
// the gross is charged the gross less the discount, and redeems the token once: a wrong amount, a
// gross below the minimum spend and a second use are declined with their codes, a terminal that sends
// no gross charges the full amount and redeems nothing, and the campaign report counts one redemption.
func TestOfferRedemption(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		sh := s.newShop()
		issued, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1"})
		if err != nil {
			t.Fatal(err)
		}
		m1 := &admin.Client{BaseURL: s.srv.URL, Token: issued.Token, HTTP: s.srv.Client()}
		w := wallet.New(wallet.Config{Store: &wallet.MemStore{}, HTTPClient: s.srv.Client(), Clock: s.clock})
		if _, err := w.Login(ctx, s.srv.URL, "alice", "correct horse"); err != nil {
			t.Fatal(err)
		}
		on, zero := true, 0
		if _, err := w.ChangeOfferSettings(ctx, wallet.SettingsChange{Offers: &on}); err != nil {
			t.Fatal(err)
		}
		s.offerCrowd(49)
		c, err := m1.CreateCampaign(ctx, protocol.CampaignRequest{Title: "Ten off", Text: "10% off", Conditions: firstTime,
			Discount: protocol.OfferRule{Kind: "percent", Value: 1000, MinSpend: 500, MaxDiscount: 300}, Days: 7, HoldoutBP: &zero})
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.Inbox(ctx, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("inbox: %+v %v", got, err)
		}
		if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice-2", UserID: "alice", OpeningBalance: eur(30000)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Authorize(ctx, wallet.AuthorizeOptions{AccountID: "acc-alice-2", CapPerPayment: eur(1000), Codes: 20, TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		pay := func(txn string, withOffer bool, amount, gross int64) (int, protocol.TransactionResponse) {
			t.Helper()
			code, err := w.NextCode()
			if withOffer {
				code, err = w.NextCodeWithOffer(got[0].OfferID)
			}
			if err != nil {
				t.Fatal(err)
			}
			ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(amount), Payload: code.Text, Gross: gross})
			if err != nil {
				t.Fatal(err)
			}
			var r protocol.TransactionResponse
			if err := ans.Decode(&r); err != nil {
				t.Fatalf("%s: %d %s", txn, ans.Status, ans.Body)
			}
			return ans.Status, r
		}
		for _, d := range []struct {
			txn           string
			offer         bool
			amount, gross int64
			want          protocol.Code
		}{
			{"x1", true, 950, 1000, protocol.CodeOfferInvalid},  // 10% of 10.00 is 1.00, not 0.50
			{"x2", true, 360, 400, protocol.CodeOfferInvalid},   // below the 5.00 minimum spend
			{"x3", false, 900, 1000, protocol.CodeOfferInvalid}, // a gross without an offer
		} {
			if st, r := pay(d.txn, d.offer, d.amount, d.gross); st != http.StatusPaymentRequired || r.Code != d.want {
				t.Errorf("%s: %d %+v, want 402 %s", d.txn, st, r, d.want)
			}
		}
		if st, r := pay("r1", true, 900, 1000); st != http.StatusOK || r.Status != protocol.StatusApproved || r.Approval == nil {
			t.Fatalf("redemption: %d %+v", st, r)
		}
		if st, r := pay("r2", true, 900, 1000); st != http.StatusPaymentRequired || r.Code != protocol.CodeOfferAlreadyUsed {
			t.Errorf("second use: %d %+v, want 402 %s", st, r, protocol.CodeOfferAlreadyUsed)
		}
		// A terminal that does not apply offers sends no gross: full price, nothing redeemed.
		if st, r := pay("r3", true, 1000, 0); st != http.StatusOK || r.Status != protocol.StatusApproved {
			t.Errorf("offer without gross: %d %+v", st, r)
		}
		rep, err := m1.CampaignReport(ctx, c.ID)
		if err != nil || rep.Redeemed != 1 {
			t.Errorf("report redeemed %d (%v), want 1", rep.Redeemed, err)
		}
		// The merchant received 9.00 and 10.00.
		m, err := s.store.GetMerchant(ctx, "M1")
		if err != nil {
			t.Fatal(err)
		}
		if b := s.balance(m.AccountID); b != 1900 {
			t.Errorf("merchant balance %d, want 1900", b)
		}
	})
}
