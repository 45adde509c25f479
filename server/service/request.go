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
func (r Request) hash() []byte {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field(string(r.opKind()))
	field(r.TerminalTxnID)
	field(strconv.FormatInt(r.Amount.Minor, 10))
	field(r.Amount.Currency)
	field(r.Payload)
	field(r.TargetTxnID)
	field(r.Reference)
	if r.Gross != 0 {
		// Only when set, so the hashes of requests without an offer stay what they were.
		field("gross=" + strconv.FormatInt(r.Gross, 10))
	}
	return h.Sum(nil)
}
