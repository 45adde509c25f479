package queue

import "time"

// KindOrder is the kind of a merchant-presented order (flow 2): the terminal asks settlementd for an
// order, prints its QR code, and the customer's online phone pays it. Orders are never forwarded:
// the server holds them from the moment they are created.
const KindOrder = "order"

// Order states. An order's record goes
//
//	ordering ──created──> order_pending ──server says──> paid | expired | cancelled
//	    │                      │
//	    │ refused              └─cashier cancels──> cancelling ──server says──> cancelled | paid | expired
//	    v
//	 declined
//
// Only the server decides paid, expired and cancelled: while it cannot be reached the order stays
// where it is and the agent asks again (an order may be paid while the terminal is offline).
const (
	// StateOrdering: the create request is committed and may have reached the server; it is sent
	// again under the same id (the server creates an order once per terminal and order id).
	StateOrdering State = "ordering"
	// StateOrderPending: the server created the order; its QR code is printed and the customer may pay.
	StateOrderPending State = "order_pending"
	// StateCancelling: the cashier cancelled; the cancel is sent until the server answers.
	StateCancelling State = "cancelling"
	// StatePaid: the server says the customer paid (final).
	StatePaid State = "paid"
	// StateExpired: the server says the order expired unpaid (final).
	StateExpired State = "expired"
)

// Order is what a record of kind KindOrder holds besides the common fields.
type Order struct {
	// OrderID is the server's order id, empty until the server created the order.
	OrderID string `json:"order_id,omitempty"`
	// Static marks a sticker payment: the customer scanned the lane's static QR code and entered the
	// amount; the order came already paid through the server's order feed, under its own id.
	Static bool `json:"static,omitempty"`
	// TTLSecs is the validity the terminal asked for, in seconds (0: the server's default).
	TTLSecs int64 `json:"ttl_secs,omitempty"`
	// QR is the order's EMV merchant-presented payload, printed as a QR code.
	QR        string    `json:"qr,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// QRPrint is how printing the QR code went; zero while it has not been tried.
	QRPrint Print `json:"qr_print,omitzero"`
	// PaymentID names the server's transfer of a paid order.
	PaymentID string    `json:"payment_id,omitempty"`
	PaidAt    time.Time `json:"paid_at,omitzero"`
	// Reported is set once the outcome (paid receipt, or the expired/cancelled slip) was printed or
	// its print was attempted: the outcome is reported exactly once, also across restarts.
	Reported bool `json:"reported,omitempty"`
}

// FollowUp reports whether r is an order the agent still has to follow: its outcome is not known
// yet, or it is known and not yet reported. The agent resumes these at start-up.
func (r Record) FollowUp() bool {
	return r.Kind == KindOrder && (r.Order == nil || !r.Order.Reported)
}

// OrderFinal reports whether an order in state s has its outcome: paid, expired, cancelled or
// declined (the server refused to create it).
func (s State) OrderFinal() bool {
	switch s {
	case StatePaid, StateExpired, StateCancelled, StateDeclined:
		return true
	}
	return false
}
