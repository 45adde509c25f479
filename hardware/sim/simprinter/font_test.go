package simprinter

import "testing"

// TestCurrencyGlyphs: the signs receipts print have a drawn glyph, not the missing-glyph box, and no
// two share a pattern.
func TestCurrencyGlyphs(t *testing.T) {
	seen := map[[5]byte]rune{}
	for _, r := range []rune{'€', '£', '¥', '$', 'E'} {
		g, ok := glyph(r)
		if !ok || g == ([5]byte{}) {
			t.Errorf("glyph(%q) = %v, %v: want a drawn glyph", r, g, ok)
		}
		if other, dup := seen[g]; dup {
			t.Errorf("glyph(%q) is the same as glyph(%q)", r, other)
		}
		seen[g] = r
	}
	if _, ok := glyph('→'); ok {
		t.Error("glyph('→') claims a glyph the font does not have")
	}
}
