package scanner

import (
	"bytes"
	"testing"
)

// aimCases is the table for TestParseAIM and the seed corpus of FuzzParseAIM.
var aimCases = []struct {
	in        string
	symbology string
	rest      string
	ok        bool
}{
	{"]Q1SP:ABC", "]Q1", "SP:ABC", true},
	{"]Q3010950", "]Q3", "010950", true},
	{"]C0CODE", "]C0", "CODE", true},
	{"]E04006381333931", "]E0", "4006381333931", true},
	{"]d2x", "]d2", "x", true},
	{"]e0", "]e0", "", true},
	{"]zA", "]zA", "", true},
	{"]Q", "", "]Q", false},
	{"]", "", "]", false},
	{"", "", "", false},
	{"Q1]", "", "Q1]", false},
	{"]11abc", "", "]11abc", false},
	{"] Q1", "", "] Q1", false},
	{"]Q-x", "", "]Q-x", false},
	{"]\xc3\xa9x", "", "]\xc3\xa9x", false},
	{"SP:]Q1", "", "SP:]Q1", false},
}

func TestParseAIM(t *testing.T) {
	for _, c := range aimCases {
		sym, rest, ok := ParseAIM([]byte(c.in))
		if sym != c.symbology || string(rest) != c.rest || ok != c.ok {
			t.Errorf("ParseAIM(%q) = %q, %q, %v; want %q, %q, %v", c.in, sym, rest, ok, c.symbology, c.rest, c.ok)
		}
	}
}

func FuzzParseAIM(f *testing.F) {
	for _, c := range aimCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sym, rest, ok := ParseAIM(data)
		if !ok {
			if sym != "" || !bytes.Equal(rest, data) {
				t.Fatalf("not ok but symbology %q, rest %q", sym, rest)
			}
			return
		}
		if len(sym) != aimPrefixLen || sym[0] != ']' || !isASCIILetter(sym[1]) || !isASCIIAlnum(sym[2]) {
			t.Fatalf("bad symbology %q", sym)
		}
		if sym+string(rest) != string(data) {
			t.Fatalf("%q + %q != %q", sym, rest, data)
		}
	})
}
