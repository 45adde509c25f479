package storetest

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

func testListTxns(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(100_000)
	f.terminal("T2", "M1")
	f.merchant("M2", "EUR")
	f.terminal("T3", "M2")
	f.user("U2")
	f.account("A2", "U2", "EUR", 100_000)
	f.auth("Z2", "U2", "A2", "EUR", 1000, 10, t0.Add(24*time.Hour))
	at := t0.Add(time.Hour)
	ops := []store.PaymentOp{
		pay("T1", "a", "Z1", 1, eur(1), at),
		pay("T2", "b", "Z2", 1, eur(2), at),
		pay("T3", "c", "Z1", 2, eur(3), at),
		pay("T1", "d", "Z2", 2, eur(4), at),
		pay("T1", "e", "Z1", 3, eur(5), at),
	}
	f.apply(ops...)
	keys := func(txns []store.Txn) []string {
		var out []string
		for _, x := range txns {
			out = append(out, x.Key.TerminalTxnID)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		filter store.TxnFilter
		want   []string
	}{
		{"all, newest first", store.TxnFilter{}, []string{"e", "d", "c", "b", "a"}},
		{"terminal T1", store.TxnFilter{TerminalID: "T1"}, []string{"e", "d", "a"}},
		{"merchant M1", store.TxnFilter{MerchantID: "M1"}, []string{"e", "d", "b", "a"}},
		{"merchant M2", store.TxnFilter{MerchantID: "M2"}, []string{"c"}},
		{"user U2", store.TxnFilter{UserID: "U2"}, []string{"d", "b"}},
		{"authorization Z1", store.TxnFilter{AuthorizationID: "Z1"}, []string{"e", "c", "a"}},
		{"limited", store.TxnFilter{Limit: 2}, []string{"e", "d"}},
		{"unknown terminal", store.TxnFilter{TerminalID: "T9"}, nil},
	} {
		got, err := f.s.ListTxns(f.ctx, tc.filter)
		if err != nil || !equalStrings(keys(got), tc.want) {
			t.Errorf("%s: ListTxns = %v, %v; want %v", tc.name, keys(got), err, tc.want)
		}
	}
	// Paging: continue before the last seq seen.
	var seen []string
	var before uint64
	for range 10 {
		page, err := f.s.ListTxns(f.ctx, store.TxnFilter{MerchantID: "M1", BeforeSeq: before, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, keys(page)...)
		before = page[len(page)-1].Seq
	}
	if !equalStrings(seen, []string{"e", "d", "b", "a"}) {
		t.Errorf("paged merchant listing = %v", seen)
	}
	// By terminal the pages follow the terminal's txn ids.
	page, err := f.s.ListTxns(f.ctx, store.TxnFilter{TerminalID: "T1", BeforeTxnID: "e", Limit: 1})
	if err != nil || !equalStrings(keys(page), []string{"d"}) {
		t.Errorf("ListTxns(T1 before e) = %v, %v; want [d]", keys(page), err)
	}
	page, err = f.s.ListTxns(f.ctx, store.TxnFilter{TerminalID: "T1", BeforeTxnID: "d"})
	if err != nil || !equalStrings(keys(page), []string{"a"}) {
		t.Errorf("ListTxns(T1 before d) = %v, %v; want [a]", keys(page), err)
	}
	// By user and by authorization, pages continue before a seq.
	page, err = f.s.ListTxns(f.ctx, store.TxnFilter{UserID: "U1", Limit: 2})
	if err != nil || !equalStrings(keys(page), []string{"e", "c"}) {
		t.Fatalf("ListTxns(U1, 2) = %v, %v; want [e c]", keys(page), err)
	}
	page, err = f.s.ListTxns(f.ctx, store.TxnFilter{UserID: "U1", BeforeSeq: page[1].Seq})
	if err != nil || !equalStrings(keys(page), []string{"a"}) {
		t.Errorf("ListTxns(U1, before c) = %v, %v; want [a]", keys(page), err)
	}
	_, err = f.s.ListTxns(f.ctx, store.TxnFilter{TerminalID: "T1", UserID: "U1"})
	wantErr(t, "ListTxns by two filters", err, store.ErrInvalidArgument)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
