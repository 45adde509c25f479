package boltstore

import (
	"context"
	"fmt"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// earlierAuthRecord is an authorization record as written before the txn list moved into it: format
// fmtAuth, without the list.
func earlierAuthRecord(e authEntry) []byte {
	b := encodeAuthorization(&e.a, e.used.Values()) // fmtAuth2 with an empty txn list: one 0 byte at the end
	b[0] = fmtAuth
	return b[:len(b)-1]
}

// TestAuthorizationTxnsOfTheEarlierLayout: a store written before an authorization's txns were listed
// in its record keeps them as keys beside it. After the upgrade its txns are still listed, exported
// with their used codes and checked; new ones go into the record until maxInlineTxns, then again
// into keys.
func TestAuthorizationTxnsOfTheEarlierLayout(t *testing.T) {
	ctx := context.Background()
	s, w := openSeeded(t, 2)
	pay := func(ops ...store.PaymentOp) []store.Outcome {
		t.Helper()
		outs, err := s.ApplyPayments(ctx, ops)
		if err != nil {
			t.Fatal(err)
		}
		return outs
	}
	for i := range 6 { // codes 0, 1, 2 of each authorization
		if o := pay(w.op(0, i)); !o[0].Approved() {
			t.Fatalf("payment %d: %+v", i, o[0])
		}
	}
	const old = "Z0000000"
	const replayed = maxInlineTxns + 6
	err := s.e.db.Update(func(tx *bolt.Tx) error { // what the earlier layout wrote for its txns
		b := tx.Bucket(bktAuthData)
		e, err := getAuthEntry(b, old)
		if err != nil {
			return err
		}
		if e.txns.Len() != 3 {
			return fmt.Errorf("authorization %s lists %v, want 3 txns", old, e.txns.Values())
		}
		for _, seq := range e.txns.Values() {
			if err := b.Put(authTxnKey(old, seq), indexMark); err != nil {
				return err
			}
		}
		return b.Put(authKey(old), earlierAuthRecord(e))
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if rep, err := s.Check(ctx); err != nil {
			t.Fatalf("Check %s: %v %q", when, err, rep.Problems)
		}
	}
	check("after the rewrite to the earlier layout")
	for i := 6; i < 10; i++ { // codes 3 and 4 of each
		if o := pay(w.op(0, i)); !o[0].Approved() {
			t.Fatalf("payment %d: %+v", i, o[0])
		}
	}
	// Z0000001's code 0 again, under new txn ids: declined, and listed, past the inline bound.
	var replays []store.PaymentOp
	for i := range replayed {
		op := w.op(0, 1)
		op.Key.TerminalTxnID = fmt.Sprintf("T0-replay-%04d", i)
		op.ApprovalID = "ap_" + op.Key.TerminalTxnID
		replays = append(replays, op)
	}
	for part := range slices.Chunk(replays, store.MaxOpsPerCall) {
		for i, o := range pay(part...) {
			if o.Code != protocol.CodeCodeUsed {
				t.Fatalf("replay %d: %+v, want %s", i, o, protocol.CodeCodeUsed)
			}
		}
	}
	check("after new payments")

	for _, tc := range []struct {
		auth string
		want int
	}{{old, 5}, {"Z0000001", 5 + replayed}} {
		all := listAll(t, s, store.TxnFilter{AuthorizationID: tc.auth})
		if len(all) != tc.want {
			t.Errorf("authorization %s: %d txns listed, want %d", tc.auth, len(all), tc.want)
		}
		for _, txn := range all {
			if txn.AuthorizationID != tc.auth {
				t.Errorf("authorization %s lists %s of %s", tc.auth, txn.Key, txn.AuthorizationID)
			}
		}
	}
	if n := len(listAll(t, s, store.TxnFilter{UserID: "U0"})); n != 5+5+replayed {
		t.Errorf("user U0: %d txns listed, want %d", n, 5+5+replayed)
	}
	err = s.e.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktAuthData)
		for _, tc := range []struct {
			auth         string
			inline, keys int
		}{{old, 2, 3}, {"Z0000001", maxInlineTxns, 5 + replayed - maxInlineTxns}} {
			e, err := getAuthEntry(b, tc.auth)
			if err != nil {
				return err
			}
			keys := 0
			c := b.Cursor()
			prefix := authTagKey(tc.auth, tagTxn, nil)
			for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
				keys++
			}
			if e.txns.Len() != tc.inline || keys != tc.keys {
				t.Errorf("authorization %s: %d txns in the record and %d keys, want %d and %d", tc.auth, e.txns.Len(), keys, tc.inline, tc.keys)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	err = s.Export(ctx, func(r store.Record) error {
		if u := r.UsedCode; u != nil {
			used++
			if u.TerminalTxnID == "" {
				t.Errorf("used code %d of %s exported without its payment", u.Counter, u.AuthorizationID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used != 10 {
		t.Errorf("exported %d used codes, want 10", used)
	}
	err = s.e.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktAuthData).Cursor()
		if k, _ := c.Seek(authTagKey(old, tagTxn, nil)); !hasPrefix(k, authTagKey(old, tagTxn, nil)) {
			return fmt.Errorf("no txn key of %s left", old)
		}
		return c.Delete() // an earlier-layout key lost: Check must see it
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Check(ctx); err == nil || rep.OK() {
		t.Errorf("Check after losing a txn key of %s: %v, want problems", old, err)
	}
}

// listAll pages through ListTxns two at a time and checks the pages come newest first, each txn once.
func listAll(t *testing.T, s *Store, f store.TxnFilter) []store.Txn {
	t.Helper()
	var all []store.Txn
	f.Limit = 2
	for {
		page, err := s.ListTxns(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < f.Limit {
			break
		}
		f.BeforeSeq = page[len(page)-1].Seq
	}
	if !slices.IsSortedFunc(all, func(a, b store.Txn) int { return int(b.Seq) - int(a.Seq) }) {
		t.Errorf("%+v: not newest first", f)
	}
	seen := map[uint64]bool{}
	for _, txn := range all {
		if seen[txn.Seq] {
			t.Errorf("%+v: seq %d listed twice", f, txn.Seq)
		}
		seen[txn.Seq] = true
	}
	return all
}
