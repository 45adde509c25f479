package escpos

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Page is one single-byte character table: the bytes 0x00..0x7F are ASCII on
// every page; the upper half is the page's own. *charmap.Charmap is one.
type Page interface {
	EncodeRune(r rune) (byte, bool)
	DecodeByte(b byte) rune
}

// highTable is a code page golang.org/x/text does not have (CP720, CP737,
// CP857, CP864), built from its upper half (codepages_gen.go).
type highTable struct {
	high *[128]rune
	enc  map[rune]byte
}

func newHighTable(high *[128]rune) *highTable {
	t := &highTable{high: high, enc: make(map[rune]byte, 128)}
	for i, r := range high {
		if r != utf8.RuneError {
			t.enc[r] = byte(0x80 + i)
		}
	}
	return t
}

func (t *highTable) EncodeRune(r rune) (byte, bool) {
	if r < 0x80 {
		return byte(r), true
	}
	b, ok := t.enc[r]
	return b, ok
}

func (t *highTable) DecodeByte(b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	return t.high[b-0x80]
}

// charmaps are the single-byte code pages a profile may list, by the names
// used in the profile tables.
var charmaps = map[string]Page{
	"cp437":      charmap.CodePage437,
	"cp720":      newHighTable(&cp720High), // Arabic
	"cp737":      newHighTable(&cp737High), // Greek
	"cp850":      charmap.CodePage850,
	"cp852":      charmap.CodePage852,
	"cp857":      newHighTable(&cp857High), // Turkish
	"cp858":      charmap.CodePage858,      // cp850 with the euro
	"cp860":      charmap.CodePage860,
	"cp862":      charmap.CodePage862, // Hebrew
	"cp863":      charmap.CodePage863,
	"cp864":      newHighTable(&cp864High), // Arabic
	"cp865":      charmap.CodePage865,
	"cp866":      charmap.CodePage866,
	"cp1250":     charmap.Windows1250,
	"cp1251":     charmap.Windows1251,
	"cp1252":     charmap.Windows1252,
	"cp1253":     charmap.Windows1253, // Greek
	"cp1254":     charmap.Windows1254, // Turkish
	"cp1255":     charmap.Windows1255, // Hebrew
	"cp1256":     charmap.Windows1256, // Arabic
	"iso8859-2":  charmap.ISO8859_2,
	"iso8859-7":  charmap.ISO8859_7,
	"iso8859-15": charmap.ISO8859_15,
}

// PageByName returns the table of a code page name a profile may list.
func PageByName(name string) (Page, bool) {
	p, ok := charmaps[name]
	return p, ok
}
