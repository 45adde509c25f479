package agent

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Order states as the register sees them.
const (
	OrderCreating   = "creating"   // being created at the server
	OrderPending    = "pending"    // the QR code is printed; waiting for the customer to pay
	OrderCancelling = "cancelling" // the cashier cancelled; the server has not confirmed yet
	OrderPaid       = "paid"
	OrderExpired    = "expired"
	OrderCancelled  = "cancelled"
	OrderDeclined   = "declined" // the server refused to create it
)

// OrderView is an order as the register sees it.
type OrderView struct {
	ID      string `json:"id"`                 // the terminal's order id
	OrderID string `json:"order_id,omitempty"` // the server's, once created
	// Sticker: a payment of the lane's static QR code (the customer entered the amount).
	Sticker   bool         `json:"sticker,omitempty"`
	State     string       `json:"state"`
	Final     bool         `json:"final"`
	Amount    money.Amount `json:"amount"`
	Reference string       `json:"reference,omitempty"`
	ExpiresAt time.Time    `json:"expires_at,omitzero"`
	// QR is the order's payload, as printed (a customer display may show it too).
	QR            string        `json:"qr,omitempty"`
	QRPrintStatus string        `json:"qr_print_status,omitempty"`
	Customer      string        `json:"customer,omitempty"` // masked
	ApprovalCode  string        `json:"approval_code,omitempty"`
	Code          protocol.Code `json:"code,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	// Reported: the outcome was printed (PrintStatus says how that went).
	Reported    bool   `json:"reported,omitempty"`
	PrintStatus string `json:"print_status,omitempty"`
	// ServerError says why the server could not be asked lately; the agent keeps asking.
	ServerError string    `json:"server_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func orderViewOf(r queue.Record) OrderView {
	v := OrderView{ID: r.TxnID, Amount: r.Amount, Reference: r.Reference, Customer: r.Masked, ApprovalCode: r.ApprovalCode,
		Code: r.DeclineCode, Reason: r.DeclineMessage, PrintStatus: r.Print.String(), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if o := r.Order; o != nil {
		v.OrderID, v.ExpiresAt, v.QR, v.QRPrintStatus, v.Reported, v.Sticker = o.OrderID, o.ExpiresAt, o.QR, o.QRPrint.String(), o.Reported, o.Static
	}
	switch r.State {
	case queue.StateOrdering:
		v.State = OrderCreating
	case queue.StateOrderPending:
		v.State = OrderPending
	case queue.StateCancelling:
		v.State = OrderCancelling
	case queue.StatePaid:
		v.State, v.Final = OrderPaid, true
	case queue.StateExpired:
		v.State, v.Final = OrderExpired, true
	case queue.StateCancelled:
		v.State, v.Final = OrderCancelled, true
	default:
		v.State, v.Final = OrderDeclined, true
	}
	return v
}

// Order returns the order with terminal order id id.
func (a *Agent) Order(ctx context.Context, id string) (OrderView, error) {
	rec, err := a.orderRecord(ctx, id)
	if err != nil {
		return OrderView{}, err
	}
	v := orderViewOf(rec)
	if f := a.orders.get(id); f != nil {
		v.ServerError = f.lastError()
	}
	return v, nil
}

// WaitOrder returns the order once it is final and reported, or its state differs from known, or
// ctx ends (with the latest view and no error).
func (a *Agent) WaitOrder(ctx context.Context, id, known string) (OrderView, error) {
	for {
		ch := a.changes()
		v, err := a.Order(ctx, id)
		if err != nil || (v.Final && v.Reported) || v.State != known {
			return v, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return v, nil
		}
	}
}

// RecentOrders returns the last n orders, newest first.
func (a *Agent) RecentOrders(ctx context.Context, n int) ([]OrderView, error) {
	var out []OrderView
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var before uint64
		for len(out) < n {
			recs, err := tx.Recent(before, max(n, 100))
			if err != nil || len(recs) == 0 {
				return err
			}
			for _, r := range recs {
				if r.Kind == queue.KindOrder && r.Order != nil && len(out) < n {
					out = append(out, orderViewOf(r))
				}
			}
			before = recs[len(recs)-1].Seq
		}
		return nil
	})
	return out, err
}
