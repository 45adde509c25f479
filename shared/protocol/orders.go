package protocol

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

// Flow 2 (merchant-presented orders) paths. See docs/api.md, "Orders".
const (
	PathOrders        = "/v1/orders"           // POST (signed): create; GET (signed): the terminal's order feed
	PathOrderPrefix   = "/v1/orders/"          // + {id}: GET (signed, ?wait=30s); + {id}/cancel: POST (signed); + {id}/confirm: POST (wallet)
	PathStaticOrders  = "/v1/sticker-payments" // POST (wallet): pay a static sticker: create and confirm in one step
	PathTerminalStick = "/v1/terminals/self/sticker"
)

// OrderPath is the path of one order; OrderCancelPath and OrderConfirmPath its actions.
func OrderPath(orderID string) string        { return PathOrderPrefix + orderID }
func OrderCancelPath(orderID string) string  { return PathOrderPrefix + orderID + "/cancel" }
func OrderConfirmPath(orderID string) string { return PathOrderPrefix + orderID + "/confirm" }

// Order limits.
const (
	DefaultOrderTTL     = 5 * time.Minute
	MaxOrderTTL         = time.Hour
	MaxOrderItems       = 50
	MaxItemQuantity     = 10_000
	MaxItemDescription  = 64 // bytes of printable UTF-8
	MaxOrderWait        = 60 * time.Second
	MaxOrderFeedLimit   = 100
	MaxOrderPayloadText = 1200 // an MPM string, like a flow 1 payload
)

// Order kinds.
const (
	OrderDynamic = "dynamic" // point of initiation 12: one order, amount fixed by the terminal
	OrderStatic  = "static"  // point of initiation 11: a sticker; the phone entered the amount
)

// Order states. Pending is the only state an order leaves; the other three are final.
const (
	OrderPending   = "pending"
	OrderPaid      = "paid"
	OrderExpired   = "expired"
	OrderCancelled = "cancelled"
)

// OrderItem is one line of an order. Quantity × UnitPrice summed over the items must equal the
// order's amount.
type OrderItem struct {
	Description string       `json:"description"`
	Quantity    int64        `json:"quantity"`
	UnitPrice   money.Amount `json:"unit_price"`
}

// OrderRequest asks the server for an order (POST /v1/orders, terminal-signed). (terminal id,
// TerminalOrderID) is its idempotency key.
type OrderRequest struct {
	TerminalOrderID  string       `json:"terminal_order_id"`
	Amount           money.Amount `json:"amount"`
	Reference        string       `json:"reference,omitempty"`
	Items            []OrderItem  `json:"items,omitempty"`
	ExpiresInSeconds int64        `json:"expires_in_seconds,omitempty"` // 0: DefaultOrderTTL; at most MaxOrderTTL
}

// Order is an order as the server answers it to the terminal and to the phone.
type Order struct {
	OrderID         string       `json:"order_id"`
	Kind            string       `json:"kind"` // OrderDynamic or OrderStatic
	TerminalID      string       `json:"terminal_id"`
	TerminalOrderID string       `json:"terminal_order_id"`
	MerchantID      string       `json:"merchant_id"`
	MerchantName    string       `json:"merchant_name"`
	Amount          money.Amount `json:"amount"`
	Reference       string       `json:"reference,omitempty"`
	Items           []OrderItem  `json:"items,omitempty"`
	State           string       `json:"state"`
	CreatedAt       time.Time    `json:"created_at"`
	ExpiresAt       time.Time    `json:"expires_at"`
	CancelledAt     time.Time    `json:"cancelled_at,omitzero"`
	// Seq orders a terminal's orders by creation (the feed's cursor).
	Seq uint64 `json:"seq"`
	// MPM is the EMVCo merchant-presented QR text carrying the server-signed order (shared/order);
	// empty for static orders, whose QR is the lane's sticker.
	MPM string `json:"mpm,omitempty"`
	// Approval is the server-signed payment (State paid): its TerminalTxnID is the order id, its
	// AuthorizationID empty. Void or refund the payment with target_txn_id = OrderID.
	Approval *SignedApproval `json:"approval,omitempty"`
}

// OrderConfirmRequest is the phone's operation instruction (POST /v1/orders/{id}/confirm, with the
// wallet session as "Authorization: Bearer ..."). MerchantID, Amount and OrderSignatureSHA256 are
// what the phone showed the customer, read from the verified order; Signature is the wallet's device
// key over the confirmation bytes of shared/order built from them, the order id and AccountID.
type OrderConfirmRequest struct {
	AccountID            string       `json:"account_id"`
	MerchantID           string       `json:"merchant_id"`
	Amount               money.Amount `json:"amount"`
	OrderSignatureSHA256 []byte       `json:"order_signature_sha256"` // 32 bytes
	DevicePublicKey      []byte       `json:"device_public_key"`      // Ed25519, 32 bytes
	Signature            []byte       `json:"signature"`              // Ed25519, 64 bytes
}

// StaticOrderRequest pays a static sticker (POST /v1/sticker-payments, wallet session): the server
// creates the order for the sticker's lane and confirms it in one step. PaymentID, chosen by the
// phone, makes the call idempotent per user; the confirmation bytes are built with the order id
// StaticOrderID(sticker id, PaymentID) and the sticker's signature.
type StaticOrderRequest struct {
	Sticker              string       `json:"sticker"` // the scanned MPM text of the sticker
	PaymentID            string       `json:"payment_id"`
	AccountID            string       `json:"account_id"`
	Amount               money.Amount `json:"amount"`
	OrderSignatureSHA256 []byte       `json:"order_signature_sha256"` // of the sticker's signature
	DevicePublicKey      []byte       `json:"device_public_key"`
	Signature            []byte       `json:"signature"`
}

// OrderFeed is a page of a terminal's orders in creation order (GET /v1/orders?after=SEQ&wait=30s).
type OrderFeed struct {
	Orders []Order `json:"orders"`
	// Next is the cursor for the next call: the Seq of the last order listed, or the after given.
	Next uint64 `json:"next"`
}

// Sticker is a lane's static QR (GET /v1/terminals/self/sticker).
type Sticker struct {
	StickerID  string `json:"sticker_id"`
	TerminalID string `json:"terminal_id"`
	MPM        string `json:"mpm"`
}

// Order problem codes (see docs/api.md).
const (
	CodeOrderNotFound          Code = "order_not_found"
	CodeOrderExpired           Code = "order_expired"
	CodeOrderCancelled         Code = "order_cancelled"
	CodeOrderAlreadyPaid       Code = "order_already_paid"
	CodeOrderAmountMismatch    Code = "order_amount_mismatch"
	CodeOrderSignatureMismatch Code = "order_signature_mismatch"
	CodeConfirmationSignature  Code = "confirmation_signature_invalid"
	CodeOrderItemsMismatch     Code = "order_items_mismatch"
	CodeStickerInvalid         Code = "sticker_invalid"
)

// StaticOrderID is the order id of a sticker payment: "ord_" and 26 lowercase base32 characters of
// SHA-256("stillpay-static-order-v1\0" + sticker id + "\0" + payment id). The phone computes it to
// build its confirmation bytes before the order exists; the server derives the same id, so a retried
// payment finds its order.
func StaticOrderID(stickerID, paymentID string) string {
	sum := sha256.Sum256([]byte("stillpay-static-order-v1\x00" + stickerID + "\x00" + paymentID))
	return OrderIDPrefix + orderIDEncoding.EncodeToString(sum[:16])
}

// OrderIDPrefix starts every order id; the rest is 26 lowercase base32 characters (128 bits).
const OrderIDPrefix = "ord_"

var orderIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewOrderID returns a fresh random order id (128 bits: ids cannot be guessed).
func NewOrderID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return OrderIDPrefix + orderIDEncoding.EncodeToString(b[:]), nil
}
