package queue

import (
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// State is where a Record is in its life. See docs/terminal.md for the state machine.
type State string

// Record states. Open states (Waiting, Sending) are resolved at the next start if the agent died;
// the others are final for the register, though Queued items still change when forwarded.
const (
	// StateWaiting: the sale exists and waits for a scan; nothing was sent.
	StateWaiting State = "waiting"
	// StateSending: the online request was committed and may have reached the server; its outcome is
	// unknown until an answer is stored. At start-up, a Sending record is voided (same target id).
	StateSending State = "sending"
	// StateApproved: approved online; Approval holds the server's signed answer. Nothing to forward.
	StateApproved State = "approved"
	// StateQueued: approved offline (or a void), committed and waiting in the outbox.
	StateQueued State = "queued"
	// StateSettled: a queued item the server accepted; Result holds its answer.
	StateSettled State = "settled"
	// StateRefused: a queued item the server refused; kept with the reason, never dropped.
	StateRefused State = "refused"
	// StateDeclined: the sale was declined (by the server online, or locally); nothing was charged.
	StateDeclined State = "declined"
	// StateCancelled: the register cancelled the sale before a code was sent.
	StateCancelled State = "cancelled"
)

// Open reports whether r's outcome is still undecided.
func (s State) Open() bool { return s == StateWaiting || s == StateSending }

// Final reports whether a record in state s needs nothing more from the terminal or a technician:
// settled, approved online, declined or cancelled; for orders also paid and expired. Refused is not final: a technician must act on it
// (posagent queue retry), so it is never pruned.
func (s State) Final() bool {
	switch s {
	case StateSettled, StateApproved, StateDeclined, StateCancelled, StatePaid, StateExpired:
		return true
	}
	return false
}

// Outbox reports whether a record in state s waits for the forwarder.
func (s State) Outbox() bool { return s == StateQueued }

// Record is one sale, void or order. Payload is the scanned code, which the forwarder must send; it is a
// one-time secret, so it is never logged or printed (use Masked).
type Record struct {
	Seq       uint64       `json:"seq"`
	TxnID     string       `json:"txn_id"`
	Kind      string       `json:"kind"` // protocol.KindOnline, KindOffline, KindVoid, KindRefund or KindOrder
	State     State        `json:"state"`
	Amount    money.Amount `json:"amount"`
	Reference string       `json:"reference,omitempty"`
	Payload   string       `json:"payload,omitempty"`
	Masked    string       `json:"masked,omitempty"`
	// AuthorizationID names the credential an offline approval relies on.
	AuthorizationID string `json:"authorization_id,omitempty"`
	// SeenKey identifies the scanned code in the seen-codes list.
	SeenKey string `json:"seen_key,omitempty"`
	// TargetTxnID is the sale a void cancels.
	TargetTxnID string `json:"target_txn_id,omitempty"`
	// VoidTxnID is the void queued for this sale, when there is one.
	VoidTxnID string `json:"void_txn_id,omitempty"`
	// Refunded is what the refunds made at this terminal gave back of this sale (minor units).
	Refunded int64 `json:"refunded,omitempty"`
	// Gross is the sale before an offer's discount (minor units of Amount's currency) and OfferID the
	// redeemed offer token's id, when the code carried an offer the terminal applied: Amount is then
	// Gross less the discount. Both are sent to the server (protocol.BatchItem.Gross).
	Gross   int64  `json:"gross,omitempty"`
	OfferID string `json:"offer_id,omitempty"`

	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`

	ApprovalCode string                   `json:"approval_code,omitempty"`
	Approval     *protocol.SignedApproval `json:"approval,omitempty"`
	// BatchProof proves Result on its own when it came in a batch answer: the answer's one server
	// signature and this result's audit path (protocol.BatchProof).
	BatchProof *protocol.BatchProof `json:"batch_proof,omitempty"`
	// MaybeSent records that an online attempt may have reached the server, so the server may hold
	// a result for this id.
	MaybeSent bool `json:"maybe_sent,omitempty"`

	DeclineCode    protocol.Code `json:"decline_code,omitempty"`
	DeclineMessage string        `json:"decline_message,omitempty"`

	// Forwarding.
	Attempts  int                           `json:"attempts,omitempty"`
	LastError string                        `json:"last_error,omitempty"`
	Result    *protocol.TransactionResponse `json:"result,omitempty"`

	// Printing: Printed is set once any copy printed; Print is how the last print went.
	Printed bool  `json:"printed,omitempty"`
	Print   Print `json:"print,omitzero"`

	// Order is set on records of kind KindOrder (flow 2).
	Order *Order `json:"order,omitempty"`
}

// LastChange is when r last changed state (UpdatedAt, or CreatedAt for a record never updated):
// retention counts from there, so a sale settled late is kept for the whole period after settling.
func (r Record) LastChange() time.Time {
	if r.UpdatedAt.After(r.CreatedAt) {
		return r.UpdatedAt
	}
	return r.CreatedAt
}

// TxnID formats a terminal transaction id: the terminal id and the sequence, zero-padded so ids sort.
func TxnID(terminalID string, seq uint64) string {
	return fmt.Sprintf("%s-%09d", terminalID, seq)
}

// Exposure is what the terminal has approved offline and not yet forwarded, in one currency.
type Exposure struct {
	Count  int
	Total  int64     // minor units
	Oldest time.Time // zero when Count is 0
}
