package escpos

import (
	"testing"
	"unicode/utf8"
)

// FuzzTextDecoder feeds arbitrary printed bytes, with any ESC t page and
// Kanji mode, to the decoder of every profile: it never panics, and every
// single-byte glyph it reads encodes back to the same byte on that page (the
// tables are bijective where defined, so the independent golden check can
// trust a decoded character). Seeded from the encoder's table test.
func FuzzTextDecoder(f *testing.F) {
	f.Add([]byte("Grüße \xd5 5"), uint8(19), false, uint8(0))
	f.Add([]byte{0xbf, 0xa7, 'a', 0xbf}, uint8(0), true, uint8(5))
	f.Add([]byte{0xa2, 0x97, 0xff}, uint8(15), false, uint8(4))
	f.Add([]byte{0xd5, 0x80, 0x9f}, uint8(53), false, uint8(3))
	profiles := Profiles()
	f.Fuzz(func(t *testing.T, text []byte, page uint8, kanji bool, pi uint8) {
		p := profiles[int(pi)%len(profiles)]
		d := NewTextDecoder(p)
		selected := p.CodePages[0]
		if cp, ok := p.CodePageByNumber(page); ok && d.SelectCodePage(page) {
			selected = cp
		}
		d.SetKanji(kanji)
		glyphs := d.Decode(nil, text)
		if len(glyphs) > len(text) {
			t.Fatalf("%d glyphs from %d bytes", len(glyphs), len(text))
		}
		if d.kanji {
			return
		}
		pg, _ := PageByName(selected.Name)
		for i, g := range glyphs {
			if g.Rune == utf8.RuneError {
				continue
			}
			if b, ok := pg.EncodeRune(g.Rune); !ok || b != text[i] {
				t.Fatalf("%s %s: byte %#x decodes to %q, which encodes to %#x (%v)", p.Name, selected.Name, text[i], g.Rune, b, ok)
			}
		}
	})
}
