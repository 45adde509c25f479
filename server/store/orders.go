package store

import (
	"context"
	"errors"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// OrderStore keeps flow 2's merchant-presented orders (docs/api.md, "Orders"). It is embedded in
// Store; every implementation passes storetest's order suite.
//
// An order's payment is a terminal txn under the key (order's terminal, order id), recorded with its
// journal entry (customer → merchant, EntryPayment) in the same transaction that marks the order
// paid, so it is voided and refunded like any flow 1 payment and Check sees it like one.
type OrderStore interface {
	// CreateOrder stores a new pending order under its id and its idempotency key (TerminalID,
	// TerminalOrderID), and assigns Seq. If the key is taken with the same RequestHash it returns the
	// stored order (as it is now) and replayed = true; with another hash, ErrIdempotencyMismatch. An id
	// that is taken is ErrExists; an unknown terminal ErrNotFound. With o.Nonce set, the signed
	// request's nonce is recorded in the same transaction (one commit for both, as ApplySigned):
	// ErrNonceReplayed, and nothing else done, when it was used.
	CreateOrder(ctx context.Context, o Order) (stored Order, replayed bool, err error)
	// GetOrder finds an order by id; ErrNotFound.
	GetOrder(ctx context.Context, id string) (Order, error)
	// ListOrders lists a terminal's orders with Seq > f.AfterSeq, oldest first.
	ListOrders(ctx context.Context, f OrderFilter) ([]Order, error)
	// CancelOrder cancels a pending order of terminalID at time at. Cancelling a cancelled order
	// returns it unchanged. ErrNotFound (unknown, or another terminal's), ErrOrderPaid,
	// ErrOrderExpired (pending at or after ExpiresAt).
	CancelOrder(ctx context.Context, id, terminalID string, at time.Time) (Order, error)
	// ConfirmOrder pays an order in one transaction: it checks the order's state, moves the amount
	// from c.AccountID to the merchant (double entry), records the payment txn and marks the order
	// paid. With c.Create set (a static sticker) it first creates that order, or finds it (same id and
	// RequestHash; another hash is ErrIdempotencyMismatch).
	//
	// A paid order confirmed again with the same ConfirmHash returns the stored order and payment
	// with replayed = true and moves nothing; with another hash, ErrOrderPaid. Other refusals, with
	// nothing written: ErrNotFound, ErrOrderCancelled, ErrOrderExpired (c.Now at or after ExpiresAt),
	// ErrInsufficientFunds. The caller has checked that the account is a customer account of the
	// paying user in the order's currency (accounts never change owner or currency).
	ConfirmOrder(ctx context.Context, c OrderConfirm) (o Order, payment Txn, replayed bool, err error)
}

// Order errors; test with errors.Is.
var (
	ErrOrderPaid      = errors.New("store: order already paid")
	ErrOrderExpired   = errors.New("store: order expired")
	ErrOrderCancelled = errors.New("store: order cancelled")
)

// OrderState is what a stored order's State holds. Expiry is not stored: a pending order is expired
// from its ExpiresAt on (OrderState.At).
type OrderState string

// Stored order states.
const (
	OrderPending   OrderState = "pending"
	OrderPaid      OrderState = "paid"
	OrderCancelled OrderState = "cancelled"
)

// Order is a merchant-presented order.
type Order struct {
	ID              string               `json:"id"`
	Kind            string               `json:"kind"` // protocol.OrderDynamic or protocol.OrderStatic
	TerminalID      string               `json:"terminal_id"`
	TerminalOrderID string               `json:"terminal_order_id"`
	MerchantID      string               `json:"merchant_id"`
	Amount          money.Amount         `json:"amount"`
	Reference       string               `json:"reference,omitempty"`
	Items           []protocol.OrderItem `json:"items,omitempty"`
	// RequestHash is the SHA-256 of the canonical create request (idempotency).
	RequestHash []byte     `json:"request_hash"`
	State       OrderState `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CancelledAt time.Time  `json:"cancelled_at,omitzero"`
	PaidAt      time.Time  `json:"paid_at,omitzero"`
	// MPM is the QR text handed out (dynamic orders); SignatureHash the SHA-256 of the server's order
	// signature in it, which a confirmation must name; KeyID the server key that signed it.
	MPM           string `json:"mpm,omitempty"`
	SignatureHash []byte `json:"signature_hash"`
	KeyID         string `json:"key_id,omitempty"`
	// ConfirmHash identifies the paying confirmation: a repeat of it is answered, any other refused.
	ConfirmHash []byte `json:"confirm_hash,omitempty"`
	// Seq increases with every order the store creates (the feed cursor); set by CreateOrder.
	Seq uint64 `json:"seq"`
	// Nonce, given to CreateOrder only, is the creating request's nonce; never stored in the order.
	Nonce *Nonce `json:"-"`
}

// StateAt is the order's state as seen at now: pending orders past ExpiresAt are expired.
func (o Order) StateAt(now time.Time) string {
	switch {
	case o.State == OrderPaid:
		return protocol.OrderPaid
	case o.State == OrderCancelled:
		return protocol.OrderCancelled
	case !now.Before(o.ExpiresAt):
		return protocol.OrderExpired
	}
	return protocol.OrderPending
}

// PaymentKey is the idempotency key of the order's payment txn.
func (o Order) PaymentKey() TxnKey { return TxnKey{TerminalID: o.TerminalID, TerminalTxnID: o.ID} }

// OrderFilter selects a terminal's orders after a Seq.
type OrderFilter struct {
	TerminalID string
	AfterSeq   uint64
	Limit      int
}

// OrderConfirm is a verified confirmation for ConfirmOrder.
type OrderConfirm struct {
	OrderID     string
	UserID      string
	AccountID   string
	ConfirmHash []byte
	Now         time.Time
	// Chosen by the service so that the stored payment renders its signed approval.
	ApprovalID   string
	ApprovalCode string
	KeyID        string
	// Create, when set, is a static order to create (or find) and pay in the same transaction.
	Create *Order
}
