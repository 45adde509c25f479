package storetest

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// withOffer makes op redeem token id with a discount off gross (op's amount is gross − discount).
func withOffer(op store.PaymentOp, id string, gross int64) store.PaymentOp {
	op.Offer = &store.OfferUse{TokenID: id, Gross: gross, Discount: gross - op.Amount.Minor}
	op.RequestHash = hash(op.RequestHash, "offer", id, gross)
	return op
}

// testRedemptions: an offer token is redeemed exactly once, in the payment's transaction; a second
// use (another terminal, the same call, offline) is declined offer_already_redeemed without using
// the payment code; a declined payment redeems nothing; a retry is a replay, not a second use.
func testRedemptions(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(100_000)
	f.terminal("T2", "M1")
	f.merchant("M2", "EUR")
	at := t0.Add(time.Hour)
	before := at.Add(-10 * time.Minute)

	first := withOffer(offline(pay("T1", "r1", "Z1", 1, eur(900), at), before), "aa01", 1000)
	if o := f.apply1(first); o.Status != store.StatusApproved || o.Amount.Minor != 900 {
		t.Fatalf("first use: %+v, want approved 900", o)
	}
	if o := f.apply1(first); !o.Replayed || o.Status != store.StatusApproved {
		t.Errorf("retry of the first use: %+v, want the replayed approval", o)
	}
	again := withOffer(offline(pay("T2", "r2", "Z1", 2, eur(900), at), before), "aa01", 1000)
	if o := f.apply1(again); o.Status != store.StatusDeclined || o.Code != protocol.CodeOfferAlreadyUsed {
		t.Errorf("second use at another terminal: %+v, want declined %s", o, protocol.CodeOfferAlreadyUsed)
	}
	// The refused second use did not spend code 2.
	if o := f.apply1(pay("T2", "r3", "Z1", 2, eur(100), at)); o.Status != store.StatusApproved {
		t.Errorf("code 2 after the refused second use: %+v, want approved", o)
	}
	// Two uses in one call: the first wins.
	outs := f.apply(withOffer(pay("T1", "r4", "Z1", 3, eur(450), at), "bb02", 500),
		withOffer(pay("T2", "r5", "Z1", 4, eur(450), at), "bb02", 500))
	if outs[0].Status != store.StatusApproved || outs[1].Code != protocol.CodeOfferAlreadyUsed {
		t.Errorf("two uses in one call: %+v / %+v, want approved then %s", outs[0], outs[1], protocol.CodeOfferAlreadyUsed)
	}
	// A payment declined for another reason redeems nothing.
	if o := f.apply1(withOffer(pay("T1", "r6", "Z1", 4, eur(1001), at), "cc03", 1100)); o.Status != store.StatusDeclined {
		t.Fatalf("over-cap payment with an offer: %+v, want declined", o)
	}
	if o := f.apply1(withOffer(pay("T1", "r7", "Z1", 4, eur(990), at), "cc03", 1100)); o.Status != store.StatusApproved {
		t.Errorf("the offer of a declined payment, used again: %+v, want approved", o)
	}
	// Gross − discount must be the amount.
	bad := withOffer(pay("T1", "r8", "Z1", 0, eur(100), at), "dd04", 200)
	bad.Offer.Discount = 50
	if o := f.apply1(bad); o.Err == nil {
		t.Errorf("inconsistent offer: %+v, want ErrInvalidArgument", o)
	} else {
		wantErr(t, "inconsistent offer", o.Err, store.ErrInvalidArgument)
	}
	m1, err := f.s.GetMerchant(f.ctx, "M1")
	if err != nil {
		t.Fatal(err)
	}
	// The merchant received the discounted amounts, each once.
	f.wantBalances(map[string]int64{m1.AccountID: 900 + 100 + 450 + 990})

	got, err := f.s.MerchantRedemptions(f.ctx, "M1")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Redemption{
		{TokenID: "aa01", MerchantID: "M1", UserID: "U1", Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "r1"}, Currency: "EUR", Gross: 1000, Discount: 100, At: before},
		{TokenID: "bb02", MerchantID: "M1", UserID: "U1", Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "r4"}, Currency: "EUR", Gross: 500, Discount: 50, At: at},
		{TokenID: "cc03", MerchantID: "M1", UserID: "U1", Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "r7"}, Currency: "EUR", Gross: 1100, Discount: 110, At: at},
	}
	if len(got) != len(want) {
		t.Fatalf("MerchantRedemptions(M1) = %+v, want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if !g.At.Equal(want[i].At) {
			t.Errorf("redemption %d at %v, want %v", i, g.At, want[i].At)
		}
		g.At = want[i].At
		if g != want[i] {
			t.Errorf("redemption %d = %+v, want %+v", i, g, want[i])
		}
	}
	if got, err := f.s.MerchantRedemptions(f.ctx, "M2"); err != nil || len(got) != 0 {
		t.Errorf("MerchantRedemptions(M2) = %+v, %v; want none", got, err)
	}
	f.check()
}
