package boltstore

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// ascList is a strictly ascending list of uint64 (an authorization's used code counters or its txn
// seqs) held the way its record stores it: the count, then the first value and the differences as
// uvarints (enc.ascending). Every payment reads its authorization, checks that its code is unused,
// and adds the code and its txn above the last ones; with the lists decoded into slices and encoded
// again, an authorization near its 1,000 codes cost the writer ~20 µs a payment when each payment of
// a group has an authorization of its own (one payment per request). Kept encoded, a value above the
// last is a few bytes appended, a lookup of one above the last is a comparison, and writing the
// record back copies the bytes; only a value inserted below the last (a code used out of order)
// decodes and re-encodes the list.
type ascList struct {
	n      int
	last   uint64 // the largest value, when n > 0
	deltas []byte // the n uvarints after the count
	// own says deltas is this list's own buffer, which append may grow in place; otherwise it may be
	// a slice of a stored record (see dec.inTx), which must never be written.
	own bool
}

// ascListOf encodes vs, which must be strictly ascending.
func ascListOf(vs []uint64) ascList {
	var l ascList
	for _, v := range vs {
		l.push(v)
	}
	return l
}

// Len is the number of values.
func (l *ascList) Len() int { return l.n }

// push appends v, which must be above the last value.
func (l *ascList) push(v uint64) {
	if !l.own {
		l.deltas = append(make([]byte, 0, len(l.deltas)+64), l.deltas...)
		l.own = true
	}
	d := v
	if l.n > 0 {
		d = v - l.last
	}
	l.deltas = binary.AppendUvarint(l.deltas, d)
	l.n++
	l.last = v
}

// Contains reports whether v is in the list.
func (l *ascList) Contains(v uint64) bool {
	if l.n == 0 || v > l.last {
		return false
	}
	if v == l.last {
		return true
	}
	found := false
	l.each(func(x uint64) bool {
		found = x == v
		return x < v
	})
	return found
}

// Insert adds v; false when v is there already. Below the last value it splices v's difference into
// the bytes where it belongs (the next value's difference shrinks) instead of decoding the list.
func (l *ascList) Insert(v uint64) bool {
	if l.n == 0 || v > l.last {
		l.push(v)
		return true
	}
	var prev uint64
	b := l.deltas
	for i, off := 0, 0; off < len(b); i++ {
		d, k := binary.Uvarint(b[off:])
		x := d
		if i > 0 {
			x += prev
		}
		if x == v {
			return false
		}
		if x > v {
			var splice [2 * binary.MaxVarintLen64]byte
			dv := v
			if i > 0 {
				dv = v - prev
			}
			sp := binary.AppendUvarint(splice[:0], dv)
			sp = binary.AppendUvarint(sp, x-v)
			if !l.own {
				l.deltas, l.own = append(make([]byte, 0, len(b)+64), b...), true
			}
			l.deltas = slices.Replace(l.deltas, off, off+k, sp...)
			l.n++
			return true
		}
		prev = x
		off += k
	}
	return false // not reached: v is at most the last value
}

// Values decodes the list.
func (l *ascList) Values() []uint64 {
	if l.n == 0 {
		return nil
	}
	vs := make([]uint64, 0, l.n)
	l.each(func(x uint64) bool { vs = append(vs, x); return true })
	return vs
}

// each calls fn with the values in order until fn returns false. The list was checked when it was
// decoded (decAscList), so the uvarints are well formed.
func (l *ascList) each(fn func(uint64) bool) {
	var prev uint64
	b := l.deltas
	for i := 0; len(b) > 0; i++ {
		d, n := binary.Uvarint(b)
		b = b[n:]
		if i > 0 {
			d += prev
		}
		prev = d
		if !fn(d) {
			return
		}
	}
}

// ascList appends l as enc.ascending would.
func (e *enc) ascList(l *ascList) {
	e.uvarint(uint64(l.n))
	e.b = append(e.b, l.deltas...)
}

// ascList reads what enc.ascending wrote, checking that the values are strictly ascending; a list
// that is not is corrupt. The bytes are copied unless the record is read inside its transaction.
func (d *dec) ascList() ascList {
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each value takes at least a byte
		d.fail()
		return ascList{}
	}
	b, start := d.b, d.b
	var prev uint64
	for i := range n {
		v, k := uint64(0), 0
		if len(b) > 0 && b[0] < 0x80 { // most differences take one byte
			v, k = uint64(b[0]), 1
		} else if v, k = binary.Uvarint(b); k <= 0 {
			d.fail()
			return ascList{}
		}
		b = b[k:]
		if i > 0 {
			if v == 0 || prev+v < prev { // strictly ascending, no overflow
				d.fail()
				return ascList{}
			}
			v += prev
		}
		prev = v
	}
	d.b = b
	l := ascList{n: int(n), last: prev, deltas: start[: len(start)-len(b) : len(start)-len(b)]}
	if d.dropLists {
		return ascList{}
	}
	if n == 0 {
		l.deltas = nil
	} else if !d.inTx {
		l.deltas, l.own = bytes.Clone(l.deltas), true
	}
	return l
}
