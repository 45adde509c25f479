package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// sameOutcome compares a replay with the first answer: everything but Replayed must be identical, so
// the API renders it byte for byte.
func sameOutcome(t *testing.T, what string, first, again store.Outcome) {
	t.Helper()
	if !again.Replayed {
		t.Errorf("%s: replay not marked Replayed", what)
	}
	again.Replayed = false
	if !reflect.DeepEqual(first, again) {
		t.Errorf("%s: replay differs:\n first %+v\n again %+v", what, first, again)
	}
}

func testIdempotency(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	merch := store.MerchantAccountID("M1")
	// A time with nanoseconds in another zone: the store normalises it before the first answer, so the
	// replay (read back from storage) is identical.
	odd := time.Date(2026, 3, 2, 12, 0, 0, 123456789, time.FixedZone("X", 3600+1800))
	op := offline(pay("T1", "k1", "Z1", 1, eur(400), odd.Add(time.Minute)), odd)
	first := f.apply1(op)
	if !first.Approved() {
		t.Fatalf("first: %s %s", first.Code, first.Message)
	}
	if first.ApprovedAt.Location() != time.UTC || first.ApprovedAt.Nanosecond()%1000 != 0 {
		t.Errorf("ApprovedAt %v not normalised to UTC microseconds", first.ApprovedAt)
	}
	for range 3 {
		sameOutcome(t, "replay", first, f.apply1(op))
	}
	f.wantBalances(map[string]int64{merch: 400})

	// Same key, different request: refused, nothing changes.
	other := op
	other.Amount = eur(900)
	other.RequestHash = hash("different")
	o := f.apply1(other)
	if !errors.Is(o.Err, store.ErrIdempotencyMismatch) || o.Approved() {
		t.Errorf("same key, other request: %+v, want ErrIdempotencyMismatch", o)
	}
	f.wantBalances(map[string]int64{merch: 400})

	// The same key twice in one call: the second sees the first.
	op2 := pay("T1", "k2", "Z1", 2, eur(100), odd)
	outs := f.apply(op2, op2)
	if !outs[0].Approved() || outs[0].Replayed {
		t.Fatalf("first of a pair: %+v", outs[0])
	}
	sameOutcome(t, "second of a pair", outs[0], outs[1])
	f.wantBalances(map[string]int64{merch: 500})

	// A decline is a final answer too: replayed as stored even after the state changes.
	big := pay("T1", "k3", "Z1", 3, eur(9000), odd)
	declined := f.apply1(big)
	if declined.Code != protocol.CodeConfirmationRequired {
		t.Fatalf("big payment: %s %s, want confirmation_required", declined.Status, declined.Code)
	}
	if v := f.apply1(void("T1", "v1", "k1", odd)); !v.Approved() { // gives 400 back to the customer
		t.Fatalf("void: %s %s", v.Code, v.Message)
	}
	sameOutcome(t, "replayed decline", declined, f.apply1(big))

	txn, err := f.s.GetTxn(f.ctx, op.Key)
	if err != nil || string(txn.RequestHash) != string(op.RequestHash) || txn.VoidedBy != "v1" {
		t.Errorf("GetTxn = %+v, %v; want the request hash and the void", txn, err)
	}
	// The payment's own replay is unchanged by the later void: it is the answer that was given.
	sameOutcome(t, "replay after a void", first, f.apply1(op))
	_, err = f.s.GetTxn(f.ctx, store.TxnKey{TerminalID: "T1", TerminalTxnID: "never"})
	wantErr(t, "GetTxn unknown", err, store.ErrNotFound)
	f.check()
}

func testPreDecidedDeclines(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	at := t0.Add(time.Hour)
	op := pay("T1", "d1", "Z1", 1, eur(100), at)
	op.UserID = "U1"
	op.Decline = &store.Decline{Code: protocol.CodeCodeInvalid, Message: "wrong code", CountFailure: true}
	o := f.apply1(op)
	if o.Status != store.StatusDeclined || o.Code != protocol.CodeCodeInvalid || o.Message != "wrong code" || o.UserID != "U1" || o.MerchantID != "M1" {
		t.Errorf("pre-decided decline = %+v", o)
	}
	sameOutcome(t, "replayed pre-decided decline", o, f.apply1(op))
	for _, s := range []store.Subject{{Kind: store.SubjectUser, ID: "U1"}, {Kind: store.SubjectTerminal, ID: "T1"}} {
		c, err := f.s.CodeFailures(f.ctx, s, at.Add(-time.Minute), at)
		if err != nil || c.InWindow != 1 || c.Today != 1 {
			t.Errorf("CodeFailures(%v) = %+v, %v; want one failure, counted once despite the replay", s, c, err)
		}
	}
	// A decline for a terminal the store does not know is recorded too (a forged terminal id).
	forged := pay("T9", "d2", "", 0, eur(1), at)
	forged.Decline = &store.Decline{Code: protocol.CodeSignatureInvalid}
	if o := f.apply1(forged); o.Status != store.StatusDeclined || o.Code != protocol.CodeSignatureInvalid || o.MerchantID != "" {
		t.Errorf("decline for unknown terminal = %+v", o)
	}
	// The code it was decided on was not used: the same counter pays afterwards.
	if o := f.apply1(pay("T1", "d3", "Z1", 1, eur(100), at)); !o.Approved() {
		t.Errorf("payment after a pre-decided decline: %s %s", o.Code, o.Message)
	}
	f.wantBalances(map[string]int64{store.MerchantAccountID("M1"): 100})
	f.check()
}
