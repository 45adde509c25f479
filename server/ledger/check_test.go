package ledger

import (
	"errors"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/store"
)

// TestCheckerFindsProblems breaks a consistent world in one way at a time; Check must name it.
func TestCheckerFindsProblems(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(m *memTx)
		want    string
	}{
		{"balance changed", func(m *memTx) { a := m.accounts["A0"]; a.Balance++; m.accounts["A0"] = a }, "journal legs sum"},
		{"negative customer", func(m *memTx) {
			m.AppendEntry(&store.Entry{ID: 99, Currency: "EUR", Legs: []store.Leg{{AccountID: "A1", Delta: -5000}, {AccountID: "merchant:M", Delta: 5000}}})
		}, "negative balance"},
		{"unbalanced entry", func(m *memTx) {
			m.AppendEntry(&store.Entry{Currency: "EUR", Legs: []store.Leg{{AccountID: "A0", Delta: 5}, {AccountID: "merchant:M", Delta: 5}}})
		}, "does not balance"},
		{"hold differs from the authorization", func(m *memTx) { z := m.auths["Z0"]; z.ReleasedMinor = 1000; m.auths["Z0"] = z }, "hold balance"},
		{"used code not counted", func(m *memTx) { m.used["Z0/3"] = store.UsedCode{AuthorizationID: "Z0", Counter: 3} }, "used codes"},
		{"too many codes", func(m *memTx) { z := m.auths["Z1"]; z.UsedCodes = 9; m.auths["Z1"] = z }, "at most"},
		{"leg on an unknown account", func(m *memTx) {
			m.entries = append(m.entries, store.Entry{ID: 77, Currency: "EUR", Legs: []store.Leg{{AccountID: "ghost", Delta: 1}, {AccountID: "A0", Delta: -1}}})
		}, "unknown account"},
		{"request applied twice", func(m *memTx) {
			o, _ := Apply(m, opSpec{Txn: 1, Amount: 100, At: 5}.op())
			e := m.entries[o.EntryID-1]
			e.ID = 0
			m.AppendEntry(&e)
		}, "moved money twice"},
		{"money moved without a txn", func(m *memTx) {
			m.AppendEntry(&store.Entry{Kind: store.EntryRefund, Currency: "EUR", Ref: "T0/ghost",
				Legs: []store.Leg{{AccountID: "A0", Delta: -1}, {AccountID: "merchant:M", Delta: 1}}})
		}, "has no txn"},
		{"txn names another entry", func(m *memTx) {
			o, _ := Apply(m, opSpec{Txn: 1, Amount: 100, At: 5}.op())
			t := m.txns[o.Key]
			t.EntryID = 1
			m.txns[o.Key] = t
		}, "not its own"},
		{"refunded more than paid", func(m *memTx) {
			m.txns[store.TxnKey{TerminalID: "T0", TerminalTxnID: "r"}] = store.Txn{Outcome: store.Outcome{Key: store.TxnKey{TerminalID: "T0", TerminalTxnID: "r"}}, RefundedMinor: 5}
		}, "refunded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := world(t)
			if _, err := m.check(); err != nil {
				t.Fatalf("world not consistent: %v", err)
			}
			tc.corrupt(m)
			rep, err := m.check()
			if !errors.Is(err, store.ErrInconsistent) || rep.OK() {
				t.Fatalf("Check = %v, %q; want ErrInconsistent", err, rep.Problems)
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), tc.want) {
				t.Errorf("problems %q do not mention %q", rep.Problems, tc.want)
			}
		})
	}
}
