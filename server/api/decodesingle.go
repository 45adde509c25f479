package api

import "github.com/stillpay/stillpay/shared/protocol"

// The one-request bodies' fast path (payments, voids, refunds). encoding/json spent ~5 µs of CPU on
// a payment's ~300-byte body: a Decoder and its buffer, a scan to find the value's end, a second
// scan matching keys by reflection, and a Token call to refuse trailing data. Issue #13 counts every
// microsecond of a single payment, so these bodies are read by the batch's jsonReader, in one pass,
// under the same rules (decodebatch.go): exact key spellings, each key at most once, strings that
// need no unquoting, integers that fit in 64 bits, whitespace. Anything else returns false without
// a word and decodeStrict hands the body to encoding/json, whose answer, value or problem, it is.
// FuzzDecodeTransactionFast and FuzzDecodeVoidRefundFast hold the fast path to encoding/json's value.

// decodeTransactionFast decodes body into req, which must be empty, and reports whether it could.
// false leaves req untouched and says nothing about the body.
//
// Each of these functions calls p.whole with a closure of its own: a closure shared through a func
// value would move the reader and the request to the heap (three more allocations per body).
func decodeTransactionFast(body []byte, req *protocol.TransactionRequest) bool {
	p := jsonReader{b: body}
	var out protocol.TransactionRequest
	var seen uint
	ok := p.whole(func(key []byte) bool {
		switch string(key) {
		case "terminal_txn_id":
			return claimKey(&seen, keyTxnID) && p.text(&out.TerminalTxnID)
		case "amount":
			return claimKey(&seen, keyAmount) && p.amount(&out.Amount)
		case "payload":
			return claimKey(&seen, keyPayload) && p.text(&out.Payload)
		case "reference":
			return claimKey(&seen, keyReference) && p.text(&out.Reference)
		case "gross":
			return claimKey(&seen, keyGross) && p.integer(&out.Gross)
		}
		return false
	})
	if ok {
		*req = out
	}
	return ok
}

// decodeVoidFast is decodeTransactionFast for a void.
func decodeVoidFast(body []byte, req *protocol.VoidRequest) bool {
	p := jsonReader{b: body}
	var out protocol.VoidRequest
	var seen uint
	ok := p.whole(func(key []byte) bool { return p.txnIDs(&out.TerminalTxnID, &out.TargetTxnID, key, &seen) })
	if ok {
		*req = out
	}
	return ok
}

// decodeRefundFast is decodeTransactionFast for a refund: a void's two keys and an amount.
func decodeRefundFast(body []byte, req *protocol.RefundRequest) bool {
	p := jsonReader{b: body}
	var out protocol.RefundRequest
	var seen uint
	ok := p.whole(func(key []byte) bool {
		if string(key) == "amount" {
			return claimKey(&seen, keyAmount) && p.amount(&out.Amount)
		}
		return p.txnIDs(&out.TerminalTxnID, &out.TargetTxnID, key, &seen)
	})
	if ok {
		*req = out
	}
	return ok
}

// txnIDs reads the value of key if it is terminal_txn_id or target_txn_id.
func (p *jsonReader) txnIDs(terminal, target *string, key []byte, seen *uint) bool {
	switch string(key) {
	case "terminal_txn_id":
		return claimKey(seen, keyTxnID) && p.text(terminal)
	case "target_txn_id":
		return claimKey(seen, keyTarget) && p.text(target)
	}
	return false
}
