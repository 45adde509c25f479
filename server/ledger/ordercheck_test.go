package ledger

import (
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
)

func TestCheckerOrders(t *testing.T) {
	eur := func(m int64) money.Amount { return money.Amount{Minor: m, Currency: "EUR"} }
	order := func(id string, state store.OrderState, minor int64) store.Order {
		return store.Order{ID: id, TerminalID: "T1", State: state, Amount: eur(minor)}
	}
	payment := func(id string, status store.OpStatus, minor int64) store.Txn {
		return store.Txn{Outcome: store.Outcome{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: id},
			Kind: store.OpPayment, Status: status, Amount: eur(minor)}}
	}
	for _, tc := range []struct {
		name   string
		orders []store.Order
		txns   []store.Txn
		want   string // a problem containing this, or "" for none
	}{
		{"paid with its payment", []store.Order{order("ord_a", store.OrderPaid, 100)}, []store.Txn{payment("ord_a", store.StatusApproved, 100)}, ""},
		{"pending, no payment", []store.Order{order("ord_a", store.OrderPending, 100)}, nil, ""},
		{"paid, no payment", []store.Order{order("ord_a", store.OrderPaid, 100)}, nil, "has no payment"},
		{"paid another amount", []store.Order{order("ord_a", store.OrderPaid, 100)}, []store.Txn{payment("ord_a", store.StatusApproved, 99)}, "is paid by"},
		{"cancelled but paid", []store.Order{order("ord_a", store.OrderCancelled, 100)}, []store.Txn{payment("ord_a", store.StatusApproved, 100)}, "is cancelled but payment"},
	} {
		c := NewChecker()
		for _, tx := range tc.txns {
			c.orders.txn(tx) // the money side is not what this test is about
		}
		for _, o := range tc.orders {
			c.Order(o)
		}
		c.finishOrders()
		got := strings.Join(c.report.Problems, "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.name, got, tc.want)
		}
	}
}
