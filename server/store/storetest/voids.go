package storetest

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

func testVoids(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(100_000) // A1 95000 after the hold
	merch := store.MerchantAccountID("M1")
	at := t0.Add(time.Hour)
	mustApprove := func(what string, op store.PaymentOp) store.Outcome {
		t.Helper()
		o := f.apply1(op)
		if !o.Approved() {
			t.Fatalf("%s: %s %s (%s) %v", what, o.Status, o.Code, o.Message, o.Err)
		}
		return o
	}
	wantDecline := func(what string, op store.PaymentOp, code protocol.Code) {
		t.Helper()
		if o := f.apply1(op); o.Status != store.StatusDeclined || o.Code != code {
			t.Errorf("%s: %s %s (%s) %v, want declined %s", what, o.Status, o.Code, o.Message, o.Err, code)
		}
	}

	// Applied: the void reverses the payment; the code stays used.
	mustApprove("pay p1", pay("T1", "p1", "Z1", 1, eur(700), at))
	f.wantBalances(map[string]int64{merch: 700, "A1": 95_300})
	v := mustApprove("void p1", void("T1", "v1", "p1", at))
	if v.Amount != eur(700) || v.TargetTxnID != "p1" || v.UserID != "U1" {
		t.Errorf("void outcome = %+v", v)
	}
	f.wantBalances(map[string]int64{merch: 0, "A1": 96_000})
	sameOutcome(t, "void replay", v, f.apply1(void("T1", "v1", "p1", at)))
	wantDecline("second void of p1", void("T1", "v2", "p1", at), protocol.CodeAlreadyVoided)
	wantDecline("code of the voided payment", pay("T1", "p1b", "Z1", 1, eur(5), at), protocol.CodeCodeUsed)

	// Never seen: the void leaves a tombstone, and the payment can never apply afterwards.
	mustApprove("void of unseen p2", void("T1", "v3", "p2", at))
	late := pay("T1", "p2", "Z1", 2, eur(500), at)
	for range 2 {
		wantDecline("late p2", late, protocol.CodeAlreadyVoided)
	}
	f.wantBalances(map[string]int64{merch: 0, "A1": 96_000})
	wantDecline("second void of unseen p2", void("T1", "v4", "p2", at), protocol.CodeAlreadyVoided)
	tomb, err := f.s.GetTxn(f.ctx, late.Key)
	if err != nil || !tomb.Tombstone || tomb.VoidedBy != "v3" {
		t.Errorf("tombstone = %+v, %v", tomb, err)
	}

	// Declined: voiding it is fine and moves nothing.
	wantDecline("pay p3 too much", pay("T1", "p3", "Z1", 3, eur(10_000_000), at), protocol.CodeConfirmationRequired)
	if o := mustApprove("void declined p3", void("T1", "v5", "p3", at)); o.Amount.Minor != 0 || o.EntryID != 0 {
		t.Errorf("void of a decline moved money: %+v", o)
	}

	// After a partial refund the void reverses the rest.
	mustApprove("pay p4", pay("T1", "p4", "Z1", 4, eur(1000), at))
	mustApprove("refund p4", refund("T1", "r1", "p4", eur(300), at))
	if o := mustApprove("void p4", void("T1", "v6", "p4", at)); o.Amount.Minor != 700 {
		t.Errorf("void after refund reversed %d, want 700", o.Amount.Minor)
	}
	f.wantBalances(map[string]int64{merch: 0})
	wantDecline("void of a refund", void("T1", "v7", "r1", at), protocol.CodeTransactionUnknown)

	// Another terminal's txn id is not this terminal's: a void there is a tombstone of its own key.
	f.terminal("T2", "M1")
	mustApprove("pay p5 on T1", pay("T1", "p5", "Z1", 0, eur(200), at))
	mustApprove("void p5 on T2", void("T2", "v8", "p5", at))
	f.wantBalances(map[string]int64{merch: 200})

	f.check()
}

func testRefunds(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(100_000)
	merch := store.MerchantAccountID("M1")
	at := t0.Add(time.Hour)
	if o := f.apply1(pay("T1", "p1", "Z1", 1, eur(1000), at)); !o.Approved() {
		t.Fatal(o.Code)
	}
	f.apply1(pay("T1", "p2", "Z1", 2, eur(10_000_000), at)) // declined
	f.apply1(pay("T1", "p3", "Z1", 3, eur(100), at))
	f.apply1(void("T1", "v3", "p3", at))
	rows := []struct {
		name  string
		op    store.PaymentOp
		code  protocol.Code
		merch int64
	}{
		{"partial", refund("T1", "r1", "p1", eur(400), at), "", 600},
		{"the rest", refund("T1", "r2", "p1", eur(600), at), "", 0},
		{"one more cent", refund("T1", "r3", "p1", eur(1), at), protocol.CodeRefundExceeds, 0},
		{"unknown payment", refund("T1", "r4", "nope", eur(1), at), protocol.CodeTransactionUnknown, 0},
		{"declined payment", refund("T1", "r5", "p2", eur(1), at), protocol.CodeTransactionUnknown, 0},
		{"voided payment", refund("T1", "r6", "p3", eur(1), at), protocol.CodeAlreadyVoided, 0},
		{"other currency", refund("T1", "r7", "p1", money.Amount{Minor: 1, Currency: "JPY"}, at), protocol.CodeCurrencyMismatch, 0},
		{"a refund is not a payment", refund("T1", "r8", "r1", eur(1), at), protocol.CodeTransactionUnknown, 0},
	}
	for _, r := range rows {
		o := f.apply1(r.op)
		switch {
		case r.code == "" && !o.Approved():
			t.Errorf("%s: %s %s (%s) %v, want approved", r.name, o.Status, o.Code, o.Message, o.Err)
		case r.code != "" && o.Code != r.code:
			t.Errorf("%s: %s %s (%s) %v, want declined %s", r.name, o.Status, o.Code, o.Message, o.Err, r.code)
		}
		f.wantBalances(map[string]int64{merch: r.merch})
	}
	p1, err := f.s.GetTxn(f.ctx, store.TxnKey{TerminalID: "T1", TerminalTxnID: "p1"})
	if err != nil || p1.RefundedMinor != 1000 {
		t.Errorf("p1 refunded %d (%v), want 1000", p1.RefundedMinor, err)
	}
	// 95000 after the hold; p1 and p3 each release a 1000 slot and pay; the void returns p3's 100 and
	// the refunds p1's 1000.
	f.wantBalances(map[string]int64{"A1": 97_000})
	f.check()
}
