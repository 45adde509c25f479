package emvqr

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Code is a parsed payload: its top-level objects in order, without the CRC object (63), which
// Parse checks and Encode recomputes.
type Code struct {
	Objects []Object
}

// raw is one data object as split from the text, before it is interpreted.
type raw struct {
	id     int
	off    int // character offset of the ID in the payload
	val    []rune
	valOff int
}

// Parse reads a payload strictly (see the package documentation). It never panics and looks at no
// more than MaxLen characters (4×MaxLen bytes) of s.
func Parse(s string) (Code, error) {
	if len(s) > 4*MaxLen {
		return Code{}, errAt(ErrTooLong, "", -1, "%d bytes (at most %d characters)", len(s), MaxLen)
	}
	if !utf8.ValidString(s) {
		return Code{}, errAt(ErrCharset, "", -1, "not UTF-8")
	}
	r := []rune(s)
	if len(r) > MaxLen {
		return Code{}, errAt(ErrTooLong, "", -1, "%d characters (at most %d)", len(r), MaxLen)
	}
	if len(r) == 0 {
		return Code{}, errAt(ErrMissing, "00", 0, "empty payload")
	}
	top, err := splitList(r, 0, "")
	if err != nil {
		return Code{}, err
	}
	if top[0].id != IDPayloadFormat {
		return Code{}, errAt(ErrOrder, twoDigits(top[0].id), 0, "the payload must start with ID 00")
	}
	last := top[len(top)-1]
	if last.id != IDCRC {
		for _, o := range top {
			if o.id == IDCRC {
				return Code{}, errAt(ErrOrder, "63", o.off, "the CRC must be the last data object")
			}
		}
		return Code{}, errAt(ErrMissing, "63", len(r), "no CRC")
	}
	if len(last.val) != 4 {
		return Code{}, errAt(ErrLength, "63", last.off, "CRC of %d characters, want 4", len(last.val))
	}
	want, ok := parseHex16(string(last.val))
	if !ok {
		return Code{}, errAt(ErrValue, "63", last.valOff, "CRC %q is not 4 hex digits", string(last.val))
	}
	if got := CRC16([]byte(string(r[:last.valOff]))); got != want {
		return Code{}, errAt(ErrCRC, "63", last.valOff, "payload says %04X, computed %04X", want, got)
	}
	objs := make([]Object, 0, len(top)-1)
	for _, o := range top[:len(top)-1] {
		obj := Object{ID: o.id}
		if IsTemplate(o.id) {
			subs, err := splitList(o.val, o.valOff, twoDigits(o.id))
			if err != nil {
				return Code{}, err
			}
			obj.Sub = make([]Object, len(subs))
			for i, s := range subs {
				obj.Sub[i] = Object{ID: s.id, Value: string(s.val)}
			}
		} else {
			obj.Value = string(o.val)
		}
		objs = append(objs, obj)
	}
	if err := validate(objs); err != nil {
		return Code{}, err
	}
	return Code{Objects: objs}, nil
}

// splitList splits r into ID–length–value objects; base is r's offset in the payload.
func splitList(r []rune, base int, path string) ([]raw, error) {
	var out []raw
	for i := 0; i < len(r); {
		if len(r)-i < 4 {
			return nil, errAt(ErrSyntax, path, base+i, "%d characters left, an ID and a length need 4", len(r)-i)
		}
		id, ok := twoDigitValue(r[i], r[i+1])
		if !ok {
			return nil, errAt(ErrSyntax, path, base+i, "ID %q is not two digits", string(r[i:i+2]))
		}
		p := joinPath(path, id)
		n, ok := twoDigitValue(r[i+2], r[i+3])
		if !ok {
			return nil, errAt(ErrSyntax, p, base+i, "length %q is not two digits", string(r[i+2:i+4]))
		}
		if n == 0 {
			return nil, errAt(ErrLength, p, base+i, "length 00")
		}
		if left := len(r) - i - 4; n > left {
			where := "payload"
			if path != "" {
				where = "template " + path
			}
			return nil, errAt(ErrLength, p, base+i, "length %d runs past the end of the %s (%d characters left)", n, where, left)
		}
		out = append(out, raw{id: id, off: base + i, val: r[i+4 : i+4+n], valOff: base + i + 4})
		i += 4 + n
	}
	return out, nil
}

func twoDigitValue(a, b rune) (int, bool) {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

func parseHex16(s string) (uint16, bool) {
	if len(s) != 4 {
		return 0, false
	}
	var v uint16
	for i := 0; i < 4; i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}

// Encode validates objs with the rules Parse applies, writes them in the given order and appends
// the CRC object (63). objs must start with 00 and must not contain 63.
func Encode(objs []Object) (string, error) {
	if err := validate(objs); err != nil {
		return "", err
	}
	var b strings.Builder
	if err := encodeList(&b, objs, ""); err != nil {
		return "", err
	}
	b.WriteString("6304")
	if n := runeCount(b.String()) + 4; n > MaxLen {
		return "", errAt(ErrTooLong, "", -1, "%d characters (at most %d)", n, MaxLen)
	}
	fmt.Fprintf(&b, "%04X", CRC16([]byte(b.String())))
	return b.String(), nil
}

// Encode is Encode(c.Objects).
func (c Code) Encode() (string, error) { return Encode(c.Objects) }
