package protocol

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Append-style JSON encoders for the answers the server writes per payment (issue #13): Approval,
// SignedApproval, TransactionResponse and BatchResponse. Each produces exactly the bytes json.Marshal
// produces for the same value, since approvals are signed over their JSON bytes, answers are
// replayed byte for byte and terminals of every version parse them (encode_test.go compares the two
// over a table and fuzzed values). They do what encoding/json does without reflection: strings
// escaped as encoding/json escapes them (HTML characters, U+2028/U+2029, control characters, invalid
// UTF-8 as \ufffd), time.Time as its MarshalJSON, []byte as standard base64 (nil as null), and a
// json.RawMessage validated and compacted in one pass. Whatever they do not handle themselves — a
// time json.Marshal refuses (a year outside 0..9999, a zone offset of 24 hours or more), a
// RawMessage that is not valid JSON or nests deeper than maxRawDepth — makes them fall back to
// json.Marshal for the whole value, so its bytes and its errors are theirs.

// AppendApproval appends a's JSON to dst, byte for byte json.Marshal(a).
func AppendApproval(dst []byte, a Approval) ([]byte, error) {
	if out, ok := appendApproval(dst, &a); ok {
		return out, nil
	}
	return appendMarshal(dst, a)
}

// AppendSignedApproval appends sa's JSON to dst, byte for byte json.Marshal(sa).
func AppendSignedApproval(dst []byte, sa SignedApproval) ([]byte, error) {
	if out, ok := appendSignedApproval(dst, &sa); ok {
		return out, nil
	}
	return appendMarshal(dst, sa)
}

// AppendTransactionResponse appends r's JSON to dst, byte for byte json.Marshal(r).
func AppendTransactionResponse(dst []byte, r TransactionResponse) ([]byte, error) {
	if out, ok := appendTransactionResponse(dst, &r); ok {
		return out, nil
	}
	return appendMarshal(dst, r)
}

// AppendBatchResponse appends r's JSON to dst, byte for byte json.Marshal(r).
func AppendBatchResponse(dst []byte, r *BatchResponse) ([]byte, error) {
	if out, ok := appendBatchResponse(dst, r); ok {
		return out, nil
	}
	return appendMarshal(dst, r)
}

// TransactionResponseSize and BatchResponseSize are a good capacity for the encoders' dst: the
// length of the answer when no string needs escaping, plus a little.
func TransactionResponseSize(r *TransactionResponse) int {
	n := 64 + len(r.TerminalTxnID) + len(r.Status) + len(r.Code) + len(r.Message)
	if sa := r.Approval; sa != nil {
		n += 48 + len(sa.Approval) + len(sa.KeyID) + base64.StdEncoding.EncodedLen(len(sa.Signature))
		if g := sa.Group; g != nil {
			n += 96 + len(g.TerminalID) + len(g.Nonce) + base64.StdEncoding.EncodedLen(len(g.Signature)) + len(g.Path)*48
		}
	}
	return n
}

// BatchResponseSize: see TransactionResponseSize.
func BatchResponseSize(r *BatchResponse) int {
	n := 160 + len(r.BatchID) + len(r.Nonce)
	for i := range r.Results {
		n += 1 + TransactionResponseSize(&r.Results[i])
	}
	return n
}

func appendMarshal(dst []byte, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, raw...), nil
}

func appendApproval(b []byte, a *Approval) ([]byte, bool) {
	b = appendString(append(b, `{"approval_id":`...), a.ApprovalID)
	b = appendString(append(b, `,"approval_code":`...), a.ApprovalCode)
	b = appendString(append(b, `,"terminal_id":`...), a.TerminalID)
	b = appendString(append(b, `,"terminal_txn_id":`...), a.TerminalTxnID)
	b = appendString(append(b, `,"merchant_id":`...), a.MerchantID)
	b = strconv.AppendInt(append(b, `,"amount":{"minor":`...), a.Amount.Minor, 10)
	b = appendString(append(b, `,"currency":`...), a.Amount.Currency)
	b = appendString(append(b, `},"masked_customer":`...), a.MaskedCustomer)
	b = appendString(append(b, `,"authorization_id":`...), a.AuthorizationID)
	b = strconv.AppendBool(append(b, `,"offline":`...), a.Offline)
	b, ok := appendTime(append(b, `,"approved_at":`...), a.ApprovedAt)
	if !ok {
		return b, false
	}
	b, ok = appendTime(append(b, `,"settled_at":`...), a.SettledAt)
	return append(b, '}'), ok
}

func appendSignedApproval(b []byte, sa *SignedApproval) ([]byte, bool) {
	b, ok := appendCompactRaw(append(b, `{"approval":`...), sa.Approval)
	if !ok {
		return b, false
	}
	b = appendString(append(b, `,"key_id":`...), sa.KeyID)
	b = appendBytes(append(b, `,"signature":`...), sa.Signature)
	if g := sa.Group; g != nil {
		b = appendString(append(b, `,"group":{"terminal_id":`...), g.TerminalID)
		b = appendString(append(b, `,"nonce":`...), g.Nonce)
		b = strconv.AppendInt(append(b, `,"size":`...), int64(g.Size), 10)
		b = strconv.AppendInt(append(b, `,"index":`...), int64(g.Index), 10)
		b = append(b, `,"path":`...)
		if g.Path == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i, p := range g.Path {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendBytes(b, p)
			}
			b = append(b, ']')
		}
		b = append(appendBytes(append(b, `,"signature":`...), g.Signature), '}')
	}
	return append(b, '}'), true
}

func appendTransactionResponse(b []byte, r *TransactionResponse) ([]byte, bool) {
	b = appendString(append(b, `{"terminal_txn_id":`...), r.TerminalTxnID)
	b = appendString(append(b, `,"status":`...), r.Status)
	if r.Approval != nil {
		var ok bool
		if b, ok = appendSignedApproval(append(b, `,"approval":`...), r.Approval); !ok {
			return b, false
		}
	}
	if r.Code != "" {
		b = appendString(append(b, `,"code":`...), string(r.Code))
	}
	if r.Message != "" {
		b = appendString(append(b, `,"message":`...), r.Message)
	}
	return append(b, '}'), true
}

func appendBatchResponse(b []byte, r *BatchResponse) ([]byte, bool) {
	b = appendString(append(b, `{"batch_id":`...), r.BatchID)
	b = append(b, `,"results":`...)
	if r.Results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Results {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendTransactionResponse(b, &r.Results[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	if r.Nonce != "" {
		b = appendString(append(b, `,"nonce":`...), r.Nonce)
	}
	if s := r.Signature; s != nil {
		b = appendString(append(b, `,"signature":{"key_id":`...), s.KeyID)
		b = append(appendBytes(append(b, `,"signature":`...), s.Signature), '}')
	}
	return append(b, '}'), true
}

// appendBytes appends p as encoding/json writes a []byte: standard base64 in quotes, nil as null.
func appendBytes(b, p []byte) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return append(base64.StdEncoding.AppendEncode(append(b, '"'), p), '"')
}

// appendTime appends t as json.Marshal writes it (time.Time.MarshalJSON: RFC 3339 with the
// nanoseconds' trailing zeros trimmed). ok is false where MarshalJSON returns an error: a year
// outside 0..9999 or a zone offset of 24 hours or more.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	if b[n0+len("9999")] != '-' {
		return b, false
	}
	if b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return b, false
		}
	}
	return append(b, '"'), true
}

// htmlSafe[c] is true for the ASCII bytes encoding/json copies into a string as they are (it
// escapes the others: control characters, '"', '\\' and, HTML-escaping, '<', '>' and '&').
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json quotes a string with HTML escaping (its
// appendString).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// maxRawDepth bounds the nesting appendCompactRaw follows; deeper values (encoding/json accepts up
// to 10,000 levels) go to json.Marshal.
const maxRawDepth = 64

// appendCompactRaw appends raw as encoding/json writes a json.RawMessage (RawMessage.MarshalJSON,
// then its appendCompact with HTML escaping): nil as null; otherwise checked to be one JSON value,
// whitespace between tokens dropped and, inside strings, '<', '>', '&', U+2028 and U+2029 written
// as \u escapes, every other byte as it is (invalid UTF-8 included). ok is false when encoding/json
// would refuse raw (not exactly one valid JSON value) or raw nests deeper than maxRawDepth.
func appendCompactRaw(b, raw []byte) ([]byte, bool) {
	if raw == nil {
		return append(b, "null"...), true
	}
	c := compactor{src: raw}
	c.space()
	out, ok := c.value(b, 0)
	c.space()
	if !ok || c.i != len(raw) {
		return b, false
	}
	return out, true
}

// compactor is appendCompactRaw's one pass: a recursive-descent check of the RFC 8259 grammar
// (as encoding/json's scanner checks it) that appends every token to the b it is given and returns
// (b stays out of the struct: storing it through a pointer costs a write barrier per token).
type compactor struct {
	src []byte
	i   int
}

func (c *compactor) space() {
	for c.i < len(c.src) {
		switch c.src[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// next is the byte at i, or 0 at the end (0 is never valid where next is asked).
func (c *compactor) next() byte {
	if c.i < len(c.src) {
		return c.src[c.i]
	}
	return 0
}

func (c *compactor) value(b []byte, depth int) ([]byte, bool) {
	switch ch := c.next(); {
	case ch == '{' || ch == '[':
		return c.container(b, depth+1)
	case ch == '"':
		return c.string(b)
	case ch == '-' || '0' <= ch && ch <= '9':
		return c.number(b)
	case ch == 't':
		return c.literal(b, "true")
	case ch == 'f':
		return c.literal(b, "false")
	case ch == 'n':
		return c.literal(b, "null")
	}
	return b, false
}

// container copies an object or array (at its opening bracket).
func (c *compactor) container(b []byte, depth int) ([]byte, bool) {
	if depth > maxRawDepth {
		return b, false
	}
	open := c.src[c.i]
	end := byte(']')
	if open == '{' {
		end = '}'
	}
	b = append(b, open)
	c.i++
	c.space()
	if c.next() == end {
		c.i++
		return append(b, end), true
	}
	for {
		var ok bool
		if open == '{' {
			if c.next() != '"' {
				return b, false
			}
			if b, ok = c.string(b); !ok {
				return b, false
			}
			c.space()
			if c.next() != ':' {
				return b, false
			}
			b = append(b, ':')
			c.i++
			c.space()
		}
		if b, ok = c.value(b, depth); !ok {
			return b, false
		}
		c.space()
		switch c.next() {
		case ',':
			b = append(b, ',')
			c.i++
			c.space()
		case end:
			c.i++
			return append(b, end), true
		default:
			return b, false
		}
	}
}

func (c *compactor) literal(b []byte, lit string) ([]byte, bool) {
	if len(c.src)-c.i < len(lit) || string(c.src[c.i:c.i+len(lit)]) != lit {
		return b, false
	}
	c.i += len(lit)
	return append(b, lit...), true
}

func isDigit(ch byte) bool { return '0' <= ch && ch <= '9' }

// number copies -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (c *compactor) number(b []byte) ([]byte, bool) {
	start := c.i
	if c.next() == '-' {
		c.i++
	}
	switch ch := c.next(); {
	case ch == '0':
		c.i++
	case '1' <= ch && ch <= '9':
		for c.i++; isDigit(c.next()); c.i++ {
		}
	default:
		return b, false
	}
	if c.next() == '.' {
		c.i++
		if !isDigit(c.next()) {
			return b, false
		}
		for c.i++; isDigit(c.next()); c.i++ {
		}
	}
	if ch := c.next(); ch == 'e' || ch == 'E' {
		c.i++
		if ch := c.next(); ch == '+' || ch == '-' {
			c.i++
		}
		if !isDigit(c.next()) {
			return b, false
		}
		for c.i++; isDigit(c.next()); c.i++ {
		}
	}
	return append(b, c.src[start:c.i]...), true
}

func isHex(ch byte) bool { return isDigit(ch) || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F' }

// rawPlain[c] is true for the bytes the compactor copies inside a string without a second look: all
// but control characters, '"', '\\', the HTML characters and 0xE2 (which starts U+2028 and U+2029).
var rawPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xE2
	}
	return t
}()

// string copies a string (at its opening quote), escaping '<', '>', '&', U+2028 and U+2029.
func (c *compactor) string(b []byte) ([]byte, bool) {
	src := c.src
	start := c.i
	for i := c.i + 1; i < len(src); {
		ch := src[i]
		if rawPlain[ch] {
			i++
			continue
		}
		switch {
		case ch == '"':
			c.i = i + 1
			return append(b, src[start:i+1]...), true
		case ch < ' ':
			return b, false
		case ch == '\\':
			if i+1 >= len(src) {
				return b, false
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
					return b, false
				}
				i += 6
			default:
				return b, false
			}
		case ch == '<' || ch == '>' || ch == '&':
			b = append(append(b, src[start:i]...), '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xF])
			i++
			start = i
		case i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8: // ch is 0xE2
			b = append(append(b, src[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[src[i+2]&0xF])
			i += 3
			start = i
		default: // 0xE2 starting another character
			i++
		}
	}
	return b, false
}
