package boltstore

import (
	"bytes"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAscList: inserting values in any order keeps the list ascending and refuses a value twice;
// Contains agrees with the values; the list survives encoding and decoding, in and out of a
// transaction; and a list decoded inside a transaction never writes into the record it was read from.
func TestAscList(t *testing.T) {
	tests := []struct {
		name   string
		insert []uint64
		want   []uint64
		dups   int // inserts refused
	}{
		{"empty", nil, nil, 0},
		{"zero first", []uint64{0, 1, 2}, []uint64{0, 1, 2}, 0},
		{"ascending", []uint64{3, 5, 200, 1 << 40}, []uint64{3, 5, 200, 1 << 40}, 0},
		{"below the last", []uint64{10, 20, 15, 1, 0}, []uint64{0, 1, 10, 15, 20}, 0},
		{"twice", []uint64{4, 4, 9, 4, 9, 0, 0}, []uint64{0, 4, 9}, 4},
		{"largest", []uint64{1<<64 - 1, 0, 1<<64 - 2}, []uint64{0, 1<<64 - 2, 1<<64 - 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l ascList
			dups := 0
			for _, v := range tt.insert {
				if !l.Insert(v) {
					dups++
				}
			}
			if got := l.Values(); !slices.Equal(got, tt.want) || l.Len() != len(tt.want) || dups != tt.dups {
				t.Fatalf("values %v (len %d), %d refused; want %v, %d refused", got, l.Len(), dups, tt.want, tt.dups)
			}
			for _, v := range []uint64{0, 1, 2, 4, 5, 9, 14, 15, 16, 20, 21, 1 << 40, 1<<64 - 2, 1<<64 - 1} {
				if got, want := l.Contains(v), slices.Contains(tt.want, v); got != want {
					t.Errorf("Contains(%d) = %v, want %v", v, got, want)
				}
			}
			var e enc
			e.ascList(&l)
			e.b = append(e.b, 0xEE) // what follows the list in a record
			for _, inTx := range []bool{false, true} {
				rec := bytes.Clone(e.b)
				d := dec{b: rec, inTx: inTx}
				got := d.ascList()
				if d.err != nil || !slices.Equal(got.Values(), tt.want) || !bytes.Equal(d.b, []byte{0xEE}) {
					t.Fatalf("inTx %v: decoded %v (rest %x, %v), want %v", inTx, got.Values(), d.b, d.err, tt.want)
				}
				got.Insert(1<<64 - 1)
				got.Insert(0)
				if !bytes.Equal(rec, e.b) {
					t.Fatalf("inTx %v: inserting into the decoded list changed the record", inTx)
				}
			}
		})
	}
}

// TestAscListCorrupt: lists that are not strictly ascending, or are cut short, are corrupt.
func TestAscListCorrupt(t *testing.T) {
	for _, b := range [][]byte{
		{2, 5, 0}, // a repeated value
		{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1}, // past the largest value
		{3, 1, 1}, // cut short
		{1, 0x80}, // a cut uvarint
		{200, 1},  // a count above the bytes left
	} {
		d := dec{b: b}
		if d.ascList(); !errors.Is(d.err, errCorrupt) {
			t.Errorf("%x: %v, want errCorrupt", b, d.err)
		}
	}
}

// TestAscListRandomOrder: values inserted in random order, with repeats and differences of every
// uvarint length, give the same list as a sorted set.
func TestAscListRandomOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var l ascList
	set := map[uint64]bool{}
	for i := range 3000 {
		v := r.Uint64N(600) << (7 * (i % 4)) // 1- to 4-byte differences
		if got, want := l.Insert(v), !set[v]; got != want {
			t.Fatalf("Insert(%d) = %v, want %v", v, got, want)
		}
		set[v] = true
		if !l.Contains(v) {
			t.Fatalf("Contains(%d) after inserting it", v)
		}
	}
	want := slices.Sorted(maps.Keys(set))
	if got := l.Values(); !slices.Equal(got, want) || l.Len() != len(want) || l.last != want[len(want)-1] {
		t.Fatalf("%d values, last %d; want %d values, last %d", l.Len(), l.last, len(want), want[len(want)-1])
	}
}
