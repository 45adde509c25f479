package payload

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// Compact field encodings of version 2 (docs/protocol.md, "Compact fields"). Each has exactly one
// encoding per value, so a parsed payload re-encodes to the bytes it came from, and the device
// signature and the MAC cover the bytes as they travel.

// Known id prefixes: the server names its keys "k-" + 12 hex digits and its authorizations "au_" +
// 24 hex digits. An id of that shape travels as the raw bytes of its hex digits, half the size.
const (
	keyIDPrefix  = "k-"
	authIDPrefix = "au_"
	// maxPackedID bounds the packed bytes of an id (the header byte holds length<<1).
	maxPackedID = 127
)

// appendID appends an id: a header byte length<<1|packed, then the id's ASCII (packed=0) or the
// bytes its hex digits spell after prefix (packed=1). An id is packed exactly when it is prefix
// followed by an even, non-zero number of lower-case hex digits.
func appendID(b []byte, id, prefix string) []byte {
	if raw, ok := packable(id, prefix); ok {
		b = append(b, byte(len(raw)<<1|1))
		return append(b, raw...)
	}
	b = append(b, byte(len(id)<<1))
	return append(b, id...)
}

// packable returns the bytes of id's hex digits when id is prefix + lower-case hex of even length.
func packable(id, prefix string) ([]byte, bool) {
	digits, ok := strings.CutPrefix(id, prefix)
	if !ok || len(digits) == 0 || len(digits)%2 != 0 || len(digits)/2 > maxPackedID {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, false
		}
	}
	raw, err := hex.DecodeString(digits)
	return raw, err == nil
}

// packCurrency packs three upper-case letters into base 26 (17,576 values in two bytes).
func packCurrency(code string) (uint16, bool) {
	if len(code) != 3 {
		return 0, false
	}
	v := 0
	for i := 0; i < 3; i++ {
		c := code[i]
		if c < 'A' || c > 'Z' {
			return 0, false
		}
		v = v*26 + int(c-'A')
	}
	return uint16(v), true
}

// unpackCurrency is packCurrency's inverse; false for a value no three letters make.
func unpackCurrency(v uint16) (string, bool) {
	if v >= 26*26*26 {
		return "", false
	}
	return string([]byte{'A' + byte(v/676), 'A' + byte(v/26%26), 'A' + byte(v%26)}), true
}

// decoder reads compact fields front to back; the first failure sticks in err and every later read
// returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

func (d *decoder) bytes(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("%s truncated", what)
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) byte1(what string) byte {
	if b := d.bytes(1, what); b != nil {
		return b[0]
	}
	return 0
}

// uvarint reads a minimal unsigned varint no larger than max.
func (d *decoder) uvarint(what string, max uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	switch {
	case n <= 0:
		d.fail("%s: bad varint", what)
		return 0
	case n != uvarintLen(v):
		d.fail("%s: varint not minimal", what)
		return 0
	case v > max:
		d.fail("%s: %d over %d", what, v, max)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// id reads appendID's encoding and refuses a raw id that should have been packed.
func (d *decoder) id(what, prefix string) string {
	h := d.byte1(what)
	raw := d.bytes(int(h>>1), what)
	if d.err != nil {
		return ""
	}
	if h&1 == 0 {
		if _, ok := packable(string(raw), prefix); ok {
			d.fail("%s %q sent unpacked", what, raw)
			return ""
		}
		return string(raw)
	}
	if len(raw) == 0 {
		d.fail("%s: empty packed id", what)
		return ""
	}
	return prefix + hex.EncodeToString(raw)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
