package storetest

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// testGetTxns checks the bulk idempotency lookup against GetTxn, key by key: the service answers a
// batch's retries from it, so it must find exactly what GetTxn finds, tombstones included.
func testGetTxns(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	f.terminal("T2", "M1")
	at := t0.Add(time.Minute)
	f.apply(
		pay("T1", "p1", "Z1", 1, eur(100), at),
		pay("T1", "p2", "Z1", 2, eur(200), at),
		pay("T1", "big", "Z1", 3, eur(900_000), at), // declined: a stored answer too
		void("T1", "v1", "late", at),                // never-seen target: a tombstone under T1/late
	)
	key := func(term, id string) store.TxnKey { return store.TxnKey{TerminalID: term, TerminalTxnID: id} }

	tests := []struct {
		name string
		keys []store.TxnKey
		want []store.TxnKey // the keys that must come back; every other key must be absent
	}{
		{"none", nil, nil},
		{"one found", []store.TxnKey{key("T1", "p1")}, []store.TxnKey{key("T1", "p1")}},
		{"one missing", []store.TxnKey{key("T1", "nope")}, nil},
		{"found and missing", []store.TxnKey{key("T1", "nope"), key("T1", "p2"), key("T1", "big"), key("T1", "v1")},
			[]store.TxnKey{key("T1", "p2"), key("T1", "big"), key("T1", "v1")}},
		{"tombstone", []store.TxnKey{key("T1", "late")}, []store.TxnKey{key("T1", "late")}},
		{"same txn id, other terminal", []store.TxnKey{key("T2", "p1"), key("T1", "p1")}, []store.TxnKey{key("T1", "p1")}},
		{"duplicates", []store.TxnKey{key("T1", "p1"), key("T1", "p1"), key("T1", "nope"), key("T1", "nope"), key("T1", "p1")},
			[]store.TxnKey{key("T1", "p1")}},
		{"empty ids", []store.TxnKey{key("", ""), key("T1", "")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.s.GetTxns(f.ctx, tc.keys)
			if err != nil {
				t.Fatalf("GetTxns: %v", err)
			}
			if got == nil {
				t.Fatal("GetTxns returned a nil map")
			}
			for _, k := range tc.keys {
				txn, ok := got[k]
				if ok != slices.Contains(tc.want, k) {
					t.Errorf("%s: present = %v, want %v", k, ok, !ok)
					continue
				}
				if !ok {
					continue
				}
				single, err := f.s.GetTxn(f.ctx, k)
				if err != nil {
					t.Fatalf("GetTxn(%s): %v", k, err)
				}
				if !reflect.DeepEqual(txn, single) {
					t.Errorf("%s: GetTxns gives\n %+v\nGetTxn gives\n %+v", k, txn, single)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("GetTxns returned %d records, want %d: %v", len(got), len(tc.want), slices.Collect(maps.Keys(got)))
			}
		})
	}
	if tomb := f.mustGetTxns(key("T1", "late"))[key("T1", "late")]; !tomb.Tombstone {
		t.Errorf("T1/late: %+v, want a tombstone", tomb)
	}

	// The limit: MaxOpsPerCall keys are one batch's worth; one more is refused.
	full := make([]store.TxnKey, store.MaxOpsPerCall)
	for i := range full {
		full[i] = key("T1", fmt.Sprint("k", i))
	}
	full[len(full)-1] = key("T1", "p2")
	if got := f.mustGetTxns(full...); len(got) != 1 || got[key("T1", "p2")].Outcome.Amount != eur(200) {
		t.Errorf("GetTxns of %d keys = %d records, want T1/p2 alone", len(full), len(got))
	}
	_, err := f.s.GetTxns(f.ctx, append(full, key("T1", "p1")))
	wantErr(t, "GetTxns over the limit", err, store.ErrTooManyOps)
}

func (f *fx) mustGetTxns(keys ...store.TxnKey) map[store.TxnKey]store.Txn {
	f.t.Helper()
	got, err := f.s.GetTxns(f.ctx, keys)
	if err != nil {
		f.t.Fatalf("GetTxns: %v", err)
	}
	return got
}
