package ledger

import (
	"slices"
	"strings"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// orderCheck is the Checker's part for flow 2: a paid order has its payment, a payment of the same
// amount under (terminal, order id); an unpaid order has none. Only txns whose id looks like an
// order id are kept, so the check costs nothing for flow 1's txns.
type orderCheck struct {
	payments map[store.TxnKey]store.Txn
	orders   []store.Order
}

func (oc *orderCheck) txn(t store.Txn) {
	if !strings.HasPrefix(t.Key.TerminalTxnID, protocol.OrderIDPrefix) {
		return
	}
	if oc.payments == nil {
		oc.payments = map[store.TxnKey]store.Txn{}
	}
	oc.payments[t.Key] = t
}

// Order feeds one order (after, before or among the txns: the check runs in Finish).
func (c *Checker) Order(o store.Order) {
	c.orders.orders = append(c.orders.orders, o)
}

func (c *Checker) finishOrders() {
	slices.SortFunc(c.orders.orders, func(a, b store.Order) int { return strings.Compare(a.ID, b.ID) })
	for _, o := range c.orders.orders {
		t, paid := c.orders.payments[o.PaymentKey()]
		switch {
		case o.State == store.OrderPaid && !paid:
			c.Problem("order %s is paid but has no payment %s", o.ID, o.PaymentKey())
		case o.State == store.OrderPaid && (t.Status != store.StatusApproved || t.Amount != o.Amount || t.Kind != store.OpPayment):
			c.Problem("order %s of %s is paid by %s, a %s %s of %s", o.ID, o.Amount, t.Key, t.Status, t.Kind, t.Amount)
		case o.State != store.OrderPaid && paid && !t.Tombstone && t.Status == store.StatusApproved:
			c.Problem("order %s is %s but payment %s is approved", o.ID, o.State, t.Key)
		}
	}
}
