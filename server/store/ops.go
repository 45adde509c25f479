package store

import (
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TxnKey is the idempotency key of a terminal request: the terminal and its own transaction id.
type TxnKey struct {
	TerminalID    string `json:"terminal_id"`
	TerminalTxnID string `json:"terminal_txn_id"`
}

// String is "terminal/txn", the form used in Entry.Ref and messages.
func (k TxnKey) String() string { return k.TerminalID + "/" + k.TerminalTxnID }

// OpKind is what a terminal request asks for.
type OpKind string

// Op kinds.
const (
	OpPayment OpKind = "payment" // online, or offline with Offline set
	OpVoid    OpKind = "void"
	OpRefund  OpKind = "refund"
)

// OpStatus is the final answer to an op.
type OpStatus string

// Op statuses.
const (
	StatusApproved OpStatus = "approved"
	StatusDeclined OpStatus = "declined"
)

// Decline is a decision made before the store (bad signature, bad code, ...). The store records it
// under the idempotency key without moving money, so a retry gets the same answer.
type Decline struct {
	Code    protocol.Code `json:"code"`
	Message string        `json:"message,omitempty"`
	// CountFailure counts one code failure against the op's UserID (when set) and its terminal, in the
	// same transaction (see RecordCodeFailures). Not counted again on a replay.
	CountFailure bool `json:"-"`
}

// PaymentOp is one terminal request for ApplyPayments. The service has verified the payload, the code
// and the signatures; the store decides everything that depends on stored state (code already used,
// credential expired or revoked at the relevant time, balance, refund totals, void targets).
//
// Store decisions, in order, for a payment (each a decline with the given code, money unmoved):
//   - terminal unknown or revoked: terminal_unknown / terminal_revoked;
//   - authorization unknown: authorization_unknown; amount currency ≠ authorization or merchant
//     currency: currency_mismatch;
//   - online: Now at/after ExpiresAt: credential_expired, at/after RevokedAt: credential_revoked;
//     offline: the same with ApprovedAt instead of Now;
//   - CodeStep (when set) made before the credential's issue, or after its revocation or expiry,
//     beyond one step of clock slack: credential_invalid, credential_revoked, credential_expired;
//   - offline amount > CapPerPayment: over_cap_per_payment; online: confirmation_required (a larger
//     amount needs the customer's confirmation of a merchant-presented order);
//   - CodeCounter ≥ MaxCodes: offline_count_exceeded;
//   - (authorization, CodeCounter) already used: code_used (counted in ReplayedCodes);
//   - MaxCodes codes already used: offline_count_exceeded;
//   - amount > released slot + customer balance: insufficient_funds.
//
// An approved payment releases one slot, min(CapPerPayment, hold balance), hold → customer and moves the
// amount customer → merchant in one entry, and marks the code used. A declined one uses no code.
// (Revocation is checked before expiry; both before the code.)
//
// A void names TargetTxnID of the same terminal:
//   - target never seen: approved; a tombstone is stored under the target's key, and any later request
//     with that key gets the tombstone's answer (declined already_voided) and never applies;
//   - target already voided (or a tombstone): already_voided; target not a payment: transaction_unknown;
//   - target an approved payment: approved; what was not refunded goes back merchant → customer (the
//     outcome's Amount); the code stays used. A declined target: approved, nothing moves.
//
// A refund names an approved payment of the same terminal (else transaction_unknown; voided:
// already_voided); same currency (currency_mismatch); refunds in total ≤ the payment
// (refund_exceeds_payment); merchant → customer.
//
// The outcome is stored with the idempotency record in the same transaction as the money.
type PaymentOp struct {
	Key         TxnKey
	RequestHash []byte // SHA-256 of the canonical request; same key + other hash → ErrIdempotencyMismatch
	Kind        OpKind
	Now         time.Time // server time of receipt; the SettledAt of the outcome

	// Payment.
	Offline         bool
	Amount          money.Amount // payment and refund
	AuthorizationID string
	UserID          string // optional for payments (taken from the authorization); set on pre-decided declines when known
	CodeCounter     uint64
	ApprovedAt      time.Time // offline: the terminal clock at approval
	// CodeStep is the time step the phone signed into the code (0: none given). The store refuses a
	// step outside the authorization's life whatever ApprovedAt says (ledger.CheckCodeStep).
	CodeStep  uint64
	Reference string
	// Offer, when set, is an offer token the payment redeems (Amount is already discounted).
	Offer *OfferUse

	// Void and refund.
	TargetTxnID string

	// Used only if the op is approved: chosen by the service so the stored outcome renders the
	// signed approval as a pure function of the record.
	ApprovalID   string
	ApprovalCode string
	KeyID        string

	// Decline, when set, is recorded as the outcome without further checks.
	Decline *Decline

	// Throttle, when set, is checked first, in the op's transaction (see Throttle): a subject at its
	// limit refuses the op with a *ThrottledError in Outcome.Err and nothing recorded.
	Throttle *Throttle
}

// Outcome is the stored, immutable answer to an op. Everything a response renders comes from here, so
// a replay renders byte-identically. Replayed and Err are per call, not stored.
type Outcome struct {
	Key             TxnKey        `json:"key"`
	Kind            OpKind        `json:"kind"`
	Status          OpStatus      `json:"status"`
	Code            protocol.Code `json:"code,omitempty"` // declines
	Message         string        `json:"message,omitempty"`
	Offline         bool          `json:"offline,omitempty"`
	Amount          money.Amount  `json:"amount"`
	MerchantID      string        `json:"merchant_id,omitempty"`
	UserID          string        `json:"user_id,omitempty"`
	AccountID       string        `json:"account_id,omitempty"` // internal: never sent to terminals
	AuthorizationID string        `json:"authorization_id,omitempty"`
	CodeCounter     uint64        `json:"code_counter,omitempty"`
	TargetTxnID     string        `json:"target_txn_id,omitempty"`
	Reference       string        `json:"reference,omitempty"`
	ApprovalID      string        `json:"approval_id,omitempty"`
	ApprovalCode    string        `json:"approval_code,omitempty"`
	KeyID           string        `json:"key_id,omitempty"`
	ApprovedAt      time.Time     `json:"approved_at,omitzero"` // offline: terminal clock; online: = SettledAt
	SettledAt       time.Time     `json:"settled_at,omitzero"`  // op.Now
	EntryID         uint64        `json:"entry_id,omitempty"`   // the journal entry, if money moved
	Seq             uint64        `json:"seq"`                  // order of recording, from 1

	// Replayed is true when the key was already recorded with the same request hash.
	Replayed bool `json:"-"`
	// Err is set instead of an answer when the op could not be taken at all: ErrIdempotencyMismatch,
	// ErrInvalidArgument (a malformed op). Nothing was recorded for it.
	Err error `json:"-"`
}

// Approved reports whether the op was approved.
func (o Outcome) Approved() bool { return o.Status == StatusApproved && o.Err == nil }

// Txn is what is stored under an idempotency key: the outcome plus state that later ops change.
// Render answers only from Outcome.
type Txn struct {
	Outcome
	RequestHash []byte `json:"request_hash"`
	// Tombstone marks a key voided before any request for it arrived: a later request with this key is
	// declined already_voided and never applies.
	Tombstone     bool      `json:"tombstone,omitempty"`
	RefundedMinor int64     `json:"refunded_minor,omitempty"` // approved refunds against this payment
	VoidedBy      string    `json:"voided_by,omitempty"`      // terminal txn id of the void
	VoidedAt      time.Time `json:"voided_at,omitzero"`
}

// TxnFilter selects transactions, newest first. At most one of TerminalID, MerchantID, UserID and
// AuthorizationID may be set; none lists all. BeforeSeq pages: 0 starts at the newest.
//
// By terminal the order is the terminal's own: terminal txn ids descending (they are monotonic per
// terminal), paged with BeforeTxnID ("" starts at the highest); BeforeSeq is not used there.
type TxnFilter struct {
	TerminalID      string
	MerchantID      string
	UserID          string
	AuthorizationID string
	BeforeSeq       uint64
	BeforeTxnID     string
	Limit           int
}

// Record is one exported record; exactly one field is set.
type Record struct {
	Merchant      *Merchant      `json:"merchant,omitempty"`
	User          *User          `json:"user,omitempty"`
	Account       *Account       `json:"account,omitempty"`
	Terminal      *Terminal      `json:"terminal,omitempty"`
	Authorization *Authorization `json:"authorization,omitempty"`
	Entry         *Entry         `json:"entry,omitempty"`
	Txn           *Txn           `json:"txn,omitempty"`
	UsedCode      *UsedCode      `json:"used_code,omitempty"`
	Session       *Session       `json:"session,omitempty"`
	Nonce         *Nonce         `json:"nonce,omitempty"`
	Failures      *Failures      `json:"failures,omitempty"`
	Order         *Order         `json:"order,omitempty"` // flow 2; after the txns its payments are
}
