package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// testPayments walks the store's decisions for payments in order, one row per rule. Rows run in
// sequence on one store; a row may rely on the rows before it (noted).
func testPayments(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.merchant("M1", "EUR")
	f.terminal("T1", "M1")
	f.terminal("T2", "M1")
	if _, err := f.s.RevokeTerminal(f.ctx, "T2", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CreateTerminal(f.ctx, store.Terminal{ID: "T3", MerchantID: "M1", EnrollCodeHash: hash("code", "T3")}); err != nil {
		t.Fatal(err)
	}
	f.user("U1")
	f.account("A1", "U1", "EUR", 1_000_000)
	day := t0.Add(24 * time.Hour)
	f.auth("Zok", "U1", "A1", "EUR", 1000, 5, day)
	f.auth("Zone", "U1", "A1", "EUR", 1000, 1, day)
	f.auth("Zexp", "U1", "A1", "EUR", 1000, 5, t0.Add(time.Hour))
	f.auth("Zrev", "U1", "A1", "EUR", 1000, 5, day)
	if _, err := f.s.RevokeAuthorization(f.ctx, "Zrev", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(2 * time.Hour) // after Zexp's expiry and Zrev's revocation
	before := t0.Add(30 * time.Minute)

	rows := []struct {
		name string
		op   store.PaymentOp
		code protocol.Code // "" means approved
	}{
		{"online within the slot", pay("T1", "p1", "Zok", 1, eur(700), at), ""},
		{"online over the cap needs the customer's confirmation", pay("T1", "p2x", "Zok", 2, eur(1001), at), protocol.CodeConfirmationRequired},
		{"online at the cap (the over-cap decline used no code)", pay("T1", "p2", "Zok", 2, eur(1000), at), ""},
		{"offline within the cap", offline(pay("T1", "p3", "Zok", 3, eur(1000), at), before), ""},
		{"code used again (p1's counter)", pay("T1", "p4", "Zok", 1, eur(10), at), protocol.CodeCodeUsed},
		{"code used again offline", offline(pay("T1", "p5", "Zok", 3, eur(10), at), before), protocol.CodeCodeUsed},
		{"online over the cap and the balance: the cap comes first", pay("T1", "p6", "Zok", 4, eur(2_000_000), at), protocol.CodeConfirmationRequired},
		{"offline over the cap", offline(pay("T1", "p7", "Zok", 4, eur(1001), at), before), protocol.CodeOverCap},
		{"declines used no code: counter 4 still pays", pay("T1", "p8", "Zok", 4, eur(5), at), ""},
		{"only code of Zone", pay("T1", "p9", "Zone", 0, eur(5), at), ""},
		{"Zone's counter 1 is beyond its one code", pay("T1", "p10", "Zone", 1, eur(5), at), protocol.CodeOfflineCountExceeded},
		{"counter far beyond max codes, offline", offline(pay("T1", "p10b", "Zok", 7, eur(5), at), before), protocol.CodeOfflineCountExceeded},
		{"online after expiry", pay("T1", "p11", "Zexp", 1, eur(5), at), protocol.CodeCredentialExpired},
		{"online at the expiry instant", pay("T1", "p12", "Zexp", 1, eur(5), t0.Add(time.Hour)), protocol.CodeCredentialExpired},
		{"offline approved before expiry, arriving after", offline(pay("T1", "p13", "Zexp", 1, eur(5), at), before), ""},
		{"offline approved after expiry", offline(pay("T1", "p14", "Zexp", 2, eur(5), at), t0.Add(90*time.Minute)), protocol.CodeCredentialExpired},
		{"online after revocation", pay("T1", "p15", "Zrev", 1, eur(5), at), protocol.CodeCredentialRevoked},
		{"offline approved before revocation", offline(pay("T1", "p16", "Zrev", 1, eur(5), at), before), ""},
		{"offline approved after revocation", offline(pay("T1", "p17", "Zrev", 2, eur(5), at), t0.Add(61*time.Minute)), protocol.CodeCredentialRevoked},
		{"currency other than the authorization's", pay("T1", "p18", "Zok", 5, money.Amount{Minor: 5, Currency: "JPY"}, at), protocol.CodeCurrencyMismatch},
		{"unknown authorization", pay("T1", "p19", "nope", 1, eur(5), at), protocol.CodeAuthorizationUnknown},
		{"unknown terminal", pay("T9", "p20", "Zok", 5, eur(5), at), protocol.CodeTerminalUnknown},
		{"revoked terminal", pay("T2", "p21", "Zok", 5, eur(5), at), protocol.CodeTerminalRevoked},
		{"terminal not enrolled", pay("T3", "p22", "Zok", 5, eur(5), at), protocol.CodeTerminalUnknown},
	}
	for _, r := range rows {
		o := f.apply1(r.op)
		if o.Err != nil {
			t.Errorf("%s: Err %v", r.name, o.Err)
			continue
		}
		if o.Replayed {
			t.Errorf("%s: first application reported as replayed", r.name)
		}
		if r.code == "" {
			if o.Status != store.StatusApproved || o.Code != "" || !o.Approved() || o.EntryID == 0 {
				t.Errorf("%s: got %s %s (%s), want approved with an entry", r.name, o.Status, o.Code, o.Message)
			}
			if o.ApprovalID != r.op.ApprovalID || o.ApprovalCode != r.op.ApprovalCode || o.KeyID != r.op.KeyID {
				t.Errorf("%s: approval fields %q %q %q not stored from the op", r.name, o.ApprovalID, o.ApprovalCode, o.KeyID)
			}
		} else if o.Status != store.StatusDeclined || o.Code != r.code || o.Message == "" || o.EntryID != 0 || o.Approved() {
			t.Errorf("%s: got %s %s (%q, entry %d), want declined %s with a message and no entry", r.name, o.Status, o.Code, o.Message, o.EntryID, r.code)
		}
		got, err := f.s.GetTxn(f.ctx, r.op.Key)
		if err != nil || !reflect.DeepEqual(got.Outcome, o) {
			t.Errorf("%s: GetTxn = %+v, %v; want the outcome %+v", r.name, got.Outcome, err, o)
		}
	}
	z, err := f.s.GetAuthorization(f.ctx, "Zok")
	if err != nil || z.UsedCodes != 4 || z.ReplayedCodes != 2 || z.ReleasedMinor != 4000 {
		t.Errorf("Zok after the table = used %d replayed %d released %d (%v); want 4, 2, 4000", z.UsedCodes, z.ReplayedCodes, z.ReleasedMinor, err)
	}
	f.check()
}

// testPaymentMoney follows one authorization through payments and checks every balance exactly.
func testPaymentMoney(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000) // A1 10000, hold 5000 → A1 5000
	hold, merch := store.HoldAccountID("Z1"), store.MerchantAccountID("M1")
	f.wantBalances(map[string]int64{"A1": 5000, hold: 5000, merch: 0})
	at := t0.Add(time.Hour)

	steps := []struct {
		op                    store.PaymentOp
		approved              bool
		customer, hold, merch int64
	}{
		// Each approval releases one slot of 1000 from the hold, then pays the merchant.
		{pay("T1", "1", "Z1", 1, eur(700), at), true, 5300, 4000, 700},
		{offline(pay("T1", "2", "Z1", 2, eur(1000), at), at), true, 5300, 3000, 1700},
		{pay("T1", "3", "Z1", 3, eur(1000), at), true, 5300, 2000, 2700},
		// Over the cap: declined, nothing moves, the code stays unused.
		{pay("T1", "4", "Z1", 4, eur(1001), at), false, 5300, 2000, 2700},
		{pay("T1", "5", "Z1", 4, eur(1000), at), true, 5300, 1000, 3700},
	}
	for i, s := range steps {
		o := f.apply1(s.op)
		if o.Approved() != s.approved {
			t.Fatalf("step %d: %s %s (%s), want approved=%v", i, o.Status, o.Code, o.Message, s.approved)
		}
		f.wantBalances(map[string]int64{"A1": s.customer, hold: s.hold, merch: s.merch})
	}
	last, err := f.s.GetTxn(f.ctx, store.TxnKey{TerminalID: "T1", TerminalTxnID: "5"})
	if err != nil {
		t.Fatal(err)
	}
	o := last.Outcome
	if o.MerchantID != "M1" || o.UserID != "U1" || o.AccountID != "A1" || o.AuthorizationID != "Z1" || o.CodeCounter != 4 ||
		!o.ApprovedAt.Equal(at) || !o.SettledAt.Equal(at) || o.Offline || o.Seq == 0 {
		t.Errorf("stored outcome = %+v", o)
	}
	entries, err := f.s.ListEntries(f.ctx, store.EntryFilter{AfterID: o.EntryID - 1, Limit: 1})
	if err != nil || len(entries) != 1 {
		t.Fatalf("ListEntries = %+v, %v", entries, err)
	}
	e := entries[0]
	wantLegs := []store.Leg{{AccountID: hold, Delta: -1000}, {AccountID: "A1", Delta: 1000}, {AccountID: "A1", Delta: -1000}, {AccountID: merch, Delta: 1000}}
	if e.ID != o.EntryID || e.Kind != store.EntryPayment || e.Currency != "EUR" || e.Ref != "T1/5" || !reflect.DeepEqual(e.Legs, wantLegs) {
		t.Errorf("payment entry = %+v, want legs %+v", e, wantLegs)
	}
	off, _ := f.s.GetTxn(f.ctx, store.TxnKey{TerminalID: "T1", TerminalTxnID: "2"})
	if !off.Offline || !off.ApprovedAt.Equal(at) {
		t.Errorf("offline outcome = %+v", off.Outcome)
	}
	rep := f.check()
	if rep.UsedCodes != 4 || rep.Txns != 5 {
		t.Errorf("Check report = %+v, want 4 used codes and 5 txns", rep)
	}
}

// testOfflineGuarantee: once the credential is issued, every offline approval within it settles, even
// when the customer has spent everything else, the credential expired or was revoked meanwhile, and the
// batch arrives late (within the grace period).
func testOfflineGuarantee(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.merchant("M1", "EUR")
	f.terminal("T1", "M1")
	f.terminal("T2", "M1")
	f.user("U1")
	f.account("A1", "U1", "EUR", 20_000)
	exp := t0.Add(time.Hour)
	f.auth("Z1", "U1", "A1", "EUR", 2000, 4, exp) // hold 8000
	f.auth("Z2", "U1", "A1", "EUR", 2000, 4, exp) // hold 8000, A1 4000 left
	// The customer spends online at another till, and puts the rest on hold for a third credential.
	if o := f.apply1(pay("T2", "x", "Z2", 1, eur(2000), t0.Add(time.Minute))); !o.Approved() {
		t.Fatalf("spending online: %s %s", o.Code, o.Message)
	}
	f.auth("Z3", "U1", "A1", "EUR", 1000, 4, exp) // hold 4000
	f.wantBalances(map[string]int64{"A1": 0})
	if _, err := f.s.RevokeAuthorization(f.ctx, "Z1", t0.Add(50*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The terminal was offline all along and forwards its queue two days later, in one batch.
	late := exp.Add(48 * time.Hour)
	var ops []store.PaymentOp
	for c := uint64(0); c < 4; c++ {
		ops = append(ops, offline(pay("T1", "q"+string(rune('0'+c)), "Z1", c, eur(2000), late), t0.Add(time.Duration(c+1)*10*time.Minute)))
	}
	for i, o := range f.apply(ops...) {
		if !o.Approved() {
			t.Errorf("offline item %d: %s %s (%s); an offline approval within the credential must settle", i, o.Status, o.Code, o.Message)
		}
	}
	f.wantBalances(map[string]int64{store.HoldAccountID("Z1"): 0, store.MerchantAccountID("M1"): 10_000, "A1": 0})
	f.check()
}

func testInvalidOps(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	at := t0.Add(time.Hour)
	good := pay("T1", "good", "Z1", 1, eur(100), at)
	mod := func(fn func(*store.PaymentOp)) store.PaymentOp {
		op := pay("T1", "bad", "Z1", 2, eur(100), at)
		fn(&op)
		return op
	}
	rows := []struct {
		name string
		op   store.PaymentOp
	}{
		{"no terminal", mod(func(o *store.PaymentOp) { o.Key.TerminalID = "" })},
		{"no txn id", mod(func(o *store.PaymentOp) { o.Key.TerminalTxnID = "" })},
		{"txn id with a slash", mod(func(o *store.PaymentOp) { o.Key.TerminalTxnID = "a/b" })},
		{"no request hash", mod(func(o *store.PaymentOp) { o.RequestHash = nil })},
		{"huge request hash", mod(func(o *store.PaymentOp) { o.RequestHash = make([]byte, 1000) })},
		{"no time", mod(func(o *store.PaymentOp) { o.Now = time.Time{} })},
		{"unknown kind", mod(func(o *store.PaymentOp) { o.Kind = "steal" })},
		{"zero amount", mod(func(o *store.PaymentOp) { o.Amount.Minor = 0 })},
		{"negative amount", mod(func(o *store.PaymentOp) { o.Amount.Minor = -5 })},
		{"unknown currency", mod(func(o *store.PaymentOp) { o.Amount.Currency = "ABC" })},
		{"no authorization", mod(func(o *store.PaymentOp) { o.AuthorizationID = "" })},
		{"offline without approval time", mod(func(o *store.PaymentOp) { o.Offline = true })},
		{"void without target", mod(func(o *store.PaymentOp) { o.Kind = store.OpVoid })},
		{"void of itself", mod(func(o *store.PaymentOp) { o.Kind, o.TargetTxnID = store.OpVoid, "bad" })},
		{"refund of nothing", mod(func(o *store.PaymentOp) { o.Kind = store.OpRefund })},
		{"decline without code", mod(func(o *store.PaymentOp) { o.Decline = &store.Decline{} })},
	}
	for _, r := range rows {
		outs := f.apply(r.op, good)
		if !errors.Is(outs[0].Err, store.ErrInvalidArgument) {
			t.Errorf("%s: Err = %v, want ErrInvalidArgument", r.name, outs[0].Err)
		}
		if outs[0].Approved() {
			t.Errorf("%s: reported approved", r.name)
		}
		if !outs[1].Approved() {
			t.Errorf("%s: the valid op beside it was not approved: %v %s", r.name, outs[1].Err, outs[1].Code)
		}
	}
	_, err := f.s.GetTxn(f.ctx, store.TxnKey{TerminalID: "T1", TerminalTxnID: "bad"})
	wantErr(t, "GetTxn of an invalid op", err, store.ErrNotFound)
	f.wantBalances(map[string]int64{store.MerchantAccountID("M1"): 100})

	_, err = f.s.ApplyPayments(f.ctx, nil)
	wantErr(t, "ApplyPayments of nothing", err, store.ErrTooManyOps)
	_, err = f.s.ApplyPayments(f.ctx, make([]store.PaymentOp, store.MaxOpsPerCall+1))
	wantErr(t, "ApplyPayments over the limit", err, store.ErrTooManyOps)
	f.check()
}
