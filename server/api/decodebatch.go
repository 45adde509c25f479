package api

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// The batch body's fast path. encoding/json spent ~13 µs per item of a 1,000-item batch on today's
// CPU: its Decoder scans the whole body once to find the value's end (copying it into a buffer that
// doubles up to the body's size), then scans it again while it matches keys by reflection. A batch
// is the one body that big, and terminals send it in one plain shape, so decodeBatchFast reads that
// shape in one pass and gives up — without a word — on anything else: then decodeStrict decodes the
// body with encoding/json as before, and every refusal, with its code, field and message, is still
// encoding/json's. It never decides a refusal itself.
//
// It accepts only a subset of what decodeStrict accepts, and fills the same value for it
// (FuzzDecodeBatchFast compares the two on any bytes):
//   - whitespace, the two top-level keys and the item keys exactly as tagged, each at most once
//     (encoding/json also matches keys case-insensitively and lets a repeated key win; the fast path
//     leaves both to it);
//   - strings without escapes or control characters, in valid UTF-8 (the bytes are then the string);
//   - integers in JSON's grammar that fit in 64 bits: no fraction, exponent or null;
//   - approved_at as a string, handed to time.Time.UnmarshalJSON with its quotes, as encoding/json
//     does; an error there is left to encoding/json.

// Bits of the keys an object has had, to give up on a repeated one.
const (
	keyKind = 1 << iota
	keyTxnID
	keyAmount
	keyPayload
	keyApprovedAt
	keyTarget
	keyReference
	keyGross
)

// decodeBatchFast decodes body into req, which must be empty, and reports whether it could. false
// leaves req untouched and says nothing about the body.
func decodeBatchFast(body []byte, req *protocol.BatchRequest) bool {
	p := jsonReader{b: body}
	var out protocol.BatchRequest
	var seen uint
	ok := p.whole(func(key []byte) bool {
		switch string(key) {
		case "batch_id":
			return claimKey(&seen, 1) && p.text(&out.BatchID)
		case "items":
			return claimKey(&seen, 2) && p.items(&out.Items)
		}
		return false
	})
	if !ok {
		return false
	}
	*req = out
	return true
}

// jsonReader reads the subset of JSON the fast paths take (decodeBatchFast, decodeTransactionFast,
// decodeVoidFast, decodeRefundFast), from b[i:].
type jsonReader struct {
	b        []byte
	i        int
	currency string // the last amount's currency
}

// kindName is an item's kind, without a new string for the four kinds there are.
func kindName(s []byte) string {
	switch string(s) {
	case protocol.KindOnline:
		return protocol.KindOnline
	case protocol.KindOffline:
		return protocol.KindOffline
	case protocol.KindVoid:
		return protocol.KindVoid
	case protocol.KindRefund:
		return protocol.KindRefund
	}
	return string(s)
}

// skipSpace skips JSON's four whitespace characters.
func (p *jsonReader) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next consumes c after any whitespace, if it is there.
func (p *jsonReader) next(c byte) bool {
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (p *jsonReader) end() bool {
	p.skipSpace()
	return p.i == len(p.b)
}

// str reads a string that needs no unquoting and returns its bytes, a sub-slice of b.
func (p *jsonReader) str() ([]byte, bool) {
	if !p.next('"') {
		return nil, false
	}
	end := bytes.IndexByte(p.b[p.i:], '"')
	if end < 0 {
		return nil, false
	}
	// With no backslash in it, the first quote ends the string.
	s := p.b[p.i : p.i+end]
	if !plainString(s) {
		return nil, false
	}
	p.i += end + 1
	return s, true
}

// plainString reports whether s, a JSON string's content, is its own value: no escape, no control
// character, valid UTF-8. Eight bytes at a time while they are printable ASCII without a backslash
// (the test may flag a clean word, never miss a dirty one), then one at a time.
func plainString(s []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		bs := x ^ (lo * '\\') // zero bytes where s has a backslash
		if x&hi|(x-lo*0x20)&^x&hi|(bs-lo)&^bs&hi != 0 {
			break
		}
	}
	ascii := true
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(s)
}

// int reads an integer in JSON's number grammar (-?(0|[1-9][0-9]*)) that fits in an int64.
func (p *jsonReader) int() (int64, bool) {
	p.skipSpace()
	start, j := p.i, p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(p.b) && '0' <= p.b[j] && p.b[j] <= '9' {
		j++
	}
	if j == digits || (p.b[digits] == '0' && j-digits > 1) {
		return 0, false
	}
	if j < len(p.b) && (p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.b[start:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	p.i = j
	return n, true
}

// whole reads the body as one object (see object) followed by nothing but whitespace.
func (p *jsonReader) whole(field func(key []byte) bool) bool {
	return p.object(field) && p.end()
}

// object reads an object, calling field with each key once the reader is at its value; field reads
// the value. Keys must need no unquoting.
func (p *jsonReader) object(field func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.next(':') || !field(key) {
			return false
		}
		if !p.next(',') {
			return p.next('}')
		}
	}
}

// items reads the batch's array of items; [] is an empty, non-nil slice, as encoding/json makes it.
func (p *jsonReader) items(items *[]protocol.BatchItem) bool {
	if !p.next('[') {
		return false
	}
	out := []protocol.BatchItem{}
	if !p.next(']') {
		for {
			out = append(out, protocol.BatchItem{})
			if !p.item(&out[len(out)-1]) {
				return false
			}
			if !p.next(',') {
				if !p.next(']') {
					return false
				}
				break
			}
		}
	}
	*items = out
	return true
}

// item reads one batch item.
func (p *jsonReader) item(it *protocol.BatchItem) bool {
	var seen uint
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "kind":
			if !claimKey(&seen, keyKind) {
				return false
			}
			s, ok := p.str()
			it.Kind = kindName(s)
			return ok
		case "terminal_txn_id":
			return claimKey(&seen, keyTxnID) && p.text(&it.TerminalTxnID)
		case "payload":
			return claimKey(&seen, keyPayload) && p.text(&it.Payload)
		case "target_txn_id":
			return claimKey(&seen, keyTarget) && p.text(&it.TargetTxnID)
		case "reference":
			return claimKey(&seen, keyReference) && p.text(&it.Reference)
		case "gross":
			return claimKey(&seen, keyGross) && p.integer(&it.Gross)
		case "approved_at":
			if !claimKey(&seen, keyApprovedAt) {
				return false
			}
			s, ok := p.str()
			// The literal with its quotes, as encoding/json hands it to an Unmarshaler.
			return ok && it.ApprovedAt.UnmarshalJSON(p.b[p.i-len(s)-2:p.i]) == nil
		case "amount":
			return claimKey(&seen, keyAmount) && p.amount(&it.Amount)
		}
		return false
	})
}

// claimKey records bit in *seen and reports whether it was not there yet: the fast path leaves a
// repeated key to encoding/json, where the last one wins.
func claimKey(seen *uint, bit uint) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// text reads a string into *dst.
func (p *jsonReader) text(dst *string) bool {
	s, ok := p.str()
	*dst = string(s)
	return ok
}

// integer reads an integer into *dst.
func (p *jsonReader) integer(dst *int64) bool {
	n, ok := p.int()
	*dst = n
	return ok
}

// amount reads an amount (a batch item's, a payment's, a refund's).
func (p *jsonReader) amount(a *money.Amount) bool {
	var seen uint
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "minor":
			return claimKey(&seen, 1) && p.integer(&a.Minor)
		case "currency":
			if !claimKey(&seen, 2) {
				return false
			}
			s, ok := p.str()
			if string(s) != p.currency {
				p.currency = string(s) // a batch is in one currency: one string for all its items
			}
			a.Currency = p.currency
			return ok
		}
		return false
	})
}
