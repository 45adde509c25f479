package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// recordKinds counts exported records by kind.
func recordKind(r store.Record) string {
	switch {
	case r.Merchant != nil:
		return "merchant"
	case r.User != nil:
		return "user"
	case r.Account != nil:
		return "account"
	case r.Terminal != nil:
		return "terminal"
	case r.Authorization != nil:
		return "authorization"
	case r.Entry != nil:
		return "entry"
	case r.Txn != nil:
		return "txn"
	case r.UsedCode != nil:
		return "used_code"
	case r.Session != nil:
		return "session"
	case r.Nonce != nil:
		return "nonce"
	case r.Failures != nil:
		return "failures"
	case r.Order != nil:
		return "order"
	}
	return "empty"
}

func exportAll(t *testing.T, s store.Store) ([]store.Record, []string) {
	t.Helper()
	var recs []store.Record
	var enc []string
	err := s.Export(t.Context(), func(r store.Record) error {
		recs = append(recs, r)
		b, err := json.Marshal(r)
		enc = append(enc, string(b))
		return err
	})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return recs, enc
}

func testExportImport(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(50_000)
	at := t0.Add(time.Hour)
	f.apply(pay("T1", "p1", "Z1", 1, eur(700), at), pay("T1", "p2", "Z1", 2, eur(99_999_999), at))
	f.apply(refund("T1", "r1", "p1", eur(100), at), void("T1", "v1", "ghost", at))
	declined := pay("T1", "p3", "Z1", 3, eur(1), at)
	declined.UserID, declined.Decline = "U1", &store.Decline{Code: protocol.CodeCodeInvalid, CountFailure: true}
	f.apply(declined)
	if err := f.s.UseNonce(f.ctx, "T1", "n1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.CreateSession(f.ctx, store.Session{TokenHash: hash("tok"), UserID: "U1", ExpiresAt: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RevokeAuthorization(f.ctx, "Z1", at); err != nil {
		t.Fatal(err)
	}
	paidOrder := f.createOrder(order("ord_paid", "O-1", 300))
	f.createOrder(order("ord_open", "O-2", 400))
	if _, _, _, err := f.s.ConfirmOrder(f.ctx, confirm("ord_paid", "U1", "A1", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	srcRep := f.check()

	recs, encoded := exportAll(t, f.s)
	kinds := map[string]int{}
	seen := []string{}
	for _, r := range recs {
		k := recordKind(r)
		if kinds[k] == 0 {
			seen = append(seen, k)
		}
		kinds[k]++
	}
	want := map[string]int{"merchant": 1, "user": 1, "account": 4, "terminal": 1, "authorization": 1, "entry": 5,
		"txn": 7, "used_code": 1, "session": 1, "nonce": 1, "failures": 2, "order": 2}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("exported %d %s records, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
	// Dependencies first, so that an importer can check references as it goes.
	wantOrder := []string{"merchant", "user", "account", "terminal", "authorization", "entry", "txn", "used_code", "order", "session", "nonce", "failures"}
	if !equalStrings(seen, wantOrder) {
		t.Errorf("export order %v, want %v", seen, wantOrder)
	}

	dst := open(t)
	for i := 0; i < len(recs); i += 7 { // several Import calls, as a copy tool would make
		if err := dst.Import(t.Context(), recs[i:min(i+7, len(recs))]); err != nil {
			t.Fatalf("Import records %d..: %v", i, err)
		}
	}
	dstRep, err := dst.Check(t.Context())
	if err != nil {
		t.Fatalf("Check after Import: %v %q", err, dstRep.Problems)
	}
	if dstRep.Accounts != srcRep.Accounts || dstRep.Entries != srcRep.Entries || dstRep.Txns != srcRep.Txns || dstRep.UsedCodes != srcRep.UsedCodes {
		t.Errorf("Check after Import = %+v, source %+v", dstRep, srcRep)
	}
	_, again := exportAll(t, dst)
	if !equalStrings(encoded, again) {
		t.Errorf("the imported store exports differently:\n%v\n%v", encoded, again)
	}
	err = dst.Import(t.Context(), recs[:1])
	wantErr(t, "Import of a record already there", err, store.ErrExists)
	err = dst.Import(t.Context(), []store.Record{{}})
	wantErr(t, "Import of an empty record", err, store.ErrInvalidArgument)

	// The copy carries on: replays answer as in the source, new ops get fresh numbers.
	g := &fx{t: t, s: dst, ctx: t.Context()}
	srcOut, _ := f.s.GetTxn(f.ctx, store.TxnKey{TerminalID: "T1", TerminalTxnID: "p1"})
	sameOutcome(t, "replay in the copy", srcOut.Outcome, g.apply1(pay("T1", "p1", "Z1", 1, eur(700), at)))
	if o := g.apply1(pay("T1", "ghost", "Z1", 4, eur(1), at)); o.Code != protocol.CodeAlreadyVoided {
		t.Errorf("tombstone in the copy: %s %s", o.Status, o.Code)
	}
	if err := dst.UseNonce(t.Context(), "T1", "n1", at.Add(time.Hour)); !errors.Is(err, store.ErrNonceReplayed) {
		t.Errorf("nonce in the copy: %v, want ErrNonceReplayed", err)
	}
	// Orders carry on too: the paid one answers its confirmation again, the open one can be paid,
	// a new one is numbered after the imported ones.
	if o, _, replayed, err := dst.ConfirmOrder(t.Context(), confirm("ord_paid", "U1", "A1", t0.Add(2*time.Minute))); err != nil || !replayed || o.Seq != paidOrder.Seq {
		t.Errorf("paid order in the copy: %+v replayed %v, %v", o, replayed, err)
	}
	if _, _, _, err := dst.ConfirmOrder(t.Context(), confirm("ord_open", "U1", "A1", t0.Add(2*time.Minute))); err != nil {
		t.Errorf("open order in the copy: %v", err)
	}
	f2 := &fx{t: t, s: dst, ctx: t.Context()}
	if o := f2.createOrder(order("ord_new", "O-3", 100)); o.Seq <= paidOrder.Seq+1 {
		t.Errorf("new order in the copy has seq %d; want one after the imported %d and %d", o.Seq, paidOrder.Seq, paidOrder.Seq+1)
	}
	f2.auth("Z2", "U1", "A1", "EUR", 100, 2, t0.Add(48*time.Hour))
	o := f2.apply1(pay("T1", "p9", "Z2", 1, eur(50), at))
	if !o.Approved() || o.Seq <= uint64(srcRep.Txns) {
		t.Errorf("new payment in the copy: %+v; want approved with a seq after the imported ones", o)
	}
	entries, _ := dst.ListEntries(t.Context(), store.EntryFilter{AfterID: uint64(srcRep.Entries)})
	if len(entries) != 3 {
		t.Errorf("new entries in the copy = %+v, want the order's payment, the hold and the payment numbered after the imported ones", entries)
	}
	f2.check()
}
