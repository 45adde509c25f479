package service

import (
	"crypto/sha256"
	"strconv"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Request is one terminal request in the form every route shares: a single transaction, a batch item,
// a void, a refund or an imported item all become a Request, so the same key gets the same
// treatment whichever route carried it.
type Request struct {
	Kind          string // protocol.KindOnline, KindOffline, KindVoid, KindRefund
	TerminalTxnID string
	Amount        money.Amount
	Payload       string
	ApprovedAt    time.Time
	TargetTxnID   string
	Reference     string
	Gross         int64 // the sale before an offer's discount (0: no offer applied)
}

// FromTransaction is an online payment request.
func FromTransaction(r protocol.TransactionRequest) Request {
	return Request{Kind: protocol.KindOnline, TerminalTxnID: r.TerminalTxnID, Amount: r.Amount, Payload: r.Payload, Reference: r.Reference, Gross: r.Gross}
}

// FromBatchItem is a queued request.
func FromBatchItem(it protocol.BatchItem) Request {
	return Request{Kind: it.Kind, TerminalTxnID: it.TerminalTxnID, Amount: it.Amount, Payload: it.Payload,
		ApprovedAt: it.ApprovedAt, TargetTxnID: it.TargetTxnID, Reference: it.Reference, Gross: it.Gross}
}

// FromVoid is a void request.
func FromVoid(r protocol.VoidRequest) Request {
	return Request{Kind: protocol.KindVoid, TerminalTxnID: r.TerminalTxnID, TargetTxnID: r.TargetTxnID}
}

// FromRefund is a refund request.
func FromRefund(r protocol.RefundRequest) Request {
	return Request{Kind: protocol.KindRefund, TerminalTxnID: r.TerminalTxnID, TargetTxnID: r.TargetTxnID, Amount: r.Amount}
}

// opKind maps a request kind to the store's op kind.
func (r Request) opKind() store.OpKind {
	switch r.Kind {
	case protocol.KindVoid:
		return store.OpVoid
	case protocol.KindRefund:
		return store.OpRefund
	}
	return store.OpPayment
}

// hash is the SHA-256 of the canonical request, the idempotency record's fingerprint. A payment
// hashes the same whether it came online, in a batch or as an offline approval: the terminal may
// have sent it online, lost the answer and queued it, and that retry must replay, not conflict. The
// offline approval time is left out for the same reason; it describes the terminal's decision, not
// the payment.
//
// The fields are appended to one buffer on the stack and hashed once (sha256.Sum256): writing each
// piece to a digest converted every string to a new []byte, the payload's too, an allocation and a
// copy per field for every payment.
func (r Request) hash() []byte {
	var stack [hashBufSize]byte
	b := appendField(stack[:0], string(r.opKind()))
	b = appendField(b, r.TerminalTxnID)
	var minor [20]byte
	b = appendField(b, string(strconv.AppendInt(minor[:0], r.Amount.Minor, 10)))
	b = appendField(b, r.Amount.Currency)
	b = appendField(b, r.Payload)
	b = appendField(b, r.TargetTxnID)
	b = appendField(b, r.Reference)
	if r.Gross != 0 {
		// Only when set, so the hashes of requests without an offer stay what they were.
		b = appendField(b, "gross="+strconv.FormatInt(r.Gross, 10))
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// appendField appends s as hash's canonical form writes a field: its length in decimal, ':', s.
func appendField(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// hashBufSize holds the canonical form of any valid request (a longer one goes to the heap).
const hashBufSize = protocol.MaxPayloadChars + 4*protocol.MaxIDLen + 128
