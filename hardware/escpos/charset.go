package escpos

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// cjkEncodings are the double-byte encodings of Chinese and Japanese
// firmware, used between FS & and FS . (Kanji mode).
var cjkEncodings = map[string]encoding.Encoding{
	"gb18030":   simplifiedchinese.GB18030,
	"shift_jis": japanese.ShiftJIS,
}

// CodePageNames lists the code page names a Profile may use.
func CodePageNames() []string {
	var names []string
	for n := range charmaps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fallbacks are the transliterations used when no code page of the profile
// has a character. Accented letters need no entry: they lose their accents
// (é -> e) through Unicode decomposition.
var fallbacks = map[rune]string{
	'€': "EUR", '£': "GBP", '¥': "JPY", '₹': "INR", '₽': "RUB", '₩': "KRW",
	'‘': "'", '’': "'", '‚': "'", '‛': "'", '“': `"`, '”': `"`, '„': `"`, '«': `"`, '»': `"`,
	'–': "-", '—': "-", '‐': "-", '−': "-", '…': "...", '•': "*", '·': ".",
	'×': "x", '÷': "/", '™': "TM", '©': "(C)", '®': "(R)", '°': "o",
	'ß': "ss", 'Æ': "AE", 'æ': "ae", 'Œ': "OE", 'œ': "oe", 'Ø': "O", 'ø': "o", 'Ł': "L", 'ł': "l",
	'Đ': "D", 'đ': "d", 'Þ': "Th", 'þ': "th", 'ı': "i",
	'\u00a0': " ", '\u2009': " ", '\u202f': " ", '\u3000': "  ",
}

// Unprintable replaces a character that neither a code page, the CJK mode
// nor a transliteration can print.
const Unprintable = "?"

// RuneCells is how many Font A character cells a rune takes on paper: 2 for
// East Asian wide and fullwidth characters (printed as 24-dot double-byte
// characters), 0 for combining marks and format characters, otherwise 1.
func RuneCells(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0x80:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Cc):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// StringCells is the sum of RuneCells over s.
func StringCells(s string) int {
	n := 0
	for _, r := range s {
		n += RuneCells(r)
	}
	return n
}

// MapText returns s as the printer described by p will print it: NFC
// normalised, control characters dropped (a tab becomes a space), and every
// character that no code page of the profile (nor its CJK mode) has replaced
// by a transliteration or by Unprintable. The receipt layout measures this
// string, so the text preview and the paper agree column for column.
func MapText(p Profile, s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	for _, r := range s {
		b.WriteString(printable(p, r))
	}
	return b.String()
}

// printable returns what r prints as on p.
func printable(p Profile, r rune) string {
	switch {
	case r == '\t':
		return " "
	case r == utf8.RuneError, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return ""
	case r < 0x80:
		return string(r)
	case canPrint(p, r):
		return string(r)
	}
	if f, ok := fallbacks[r]; ok {
		return f
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return "" // stray combining marks, zero-width and format characters
	}
	// Strip accents: decompose and keep what prints.
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if d < 0x80 || (d != r && canPrint(p, d)) {
			b.WriteRune(d)
		} else {
			return Unprintable
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String()
}

// canPrint says whether r (not ASCII) prints as itself on p.
func canPrint(p Profile, r rune) bool {
	if pageFor(p, r) >= 0 {
		return true
	}
	_, ok := cjkBytes(p, r)
	return ok
}

// pageFor returns the index in p.CodePages of the first page that has r,
// or -1.
func pageFor(p Profile, r rune) int {
	for i, cp := range p.CodePages {
		if cm := charmaps[cp.Name]; cm != nil {
			if _, ok := cm.EncodeRune(r); ok {
				return i
			}
		}
	}
	return -1
}

// cjkBytes returns the double-byte code of a wide rune in the profile's CJK
// encoding. Only wide runes use Kanji mode, so that every character's width
// on paper matches RuneCells.
func cjkBytes(p Profile, r rune) ([]byte, bool) {
	if !p.CJK || RuneCells(r) != 2 {
		return nil, false
	}
	enc, ok := cjkEncodings[p.CJKEncoding]
	if !ok {
		return nil, false
	}
	b, err := enc.NewEncoder().Bytes([]byte(string(r)))
	if err != nil || len(b) != 2 {
		return nil, false
	}
	return b, true
}

// Glyph is one decoded character on paper.
type Glyph struct {
	Rune   rune
	Double bool // a double-byte (Kanji mode) character, 24 dots wide
}

// TextDecoder turns printed bytes back into characters, following ESC t and
// FS & / FS . the way a printer does. The simulator uses it.
type TextDecoder struct {
	profile Profile
	page    Page
	kanji   bool
	lead    byte // first byte of a double-byte character split across calls
}

// NewTextDecoder returns a decoder in the printer's power-on state: the
// profile's first code page, Kanji mode off.
func NewTextDecoder(p Profile) *TextDecoder {
	d := &TextDecoder{profile: p}
	d.Reset()
	return d
}

// Reset returns to the power-on state (ESC @).
func (d *TextDecoder) Reset() {
	d.page = charmaps["cp437"]
	if len(d.profile.CodePages) > 0 {
		if cm := charmaps[d.profile.CodePages[0].Name]; cm != nil {
			d.page = cm
		}
	}
	d.kanji = false
	d.lead = 0
}

// SelectCodePage applies ESC t n; it reports false for a page the profile
// does not have, which leaves the current page selected.
func (d *TextDecoder) SelectCodePage(n byte) bool {
	cp, ok := d.profile.CodePageByNumber(n)
	if !ok {
		return false
	}
	d.page = charmaps[cp.Name]
	return true
}

// SetKanji applies FS & (true) and FS . (false). It reports false when the
// profile has no CJK mode.
func (d *TextDecoder) SetKanji(on bool) bool {
	d.lead = 0
	if on && !d.profile.CJK {
		return false
	}
	d.kanji = on
	return true
}

// Decode appends the glyphs of printed text bytes to dst.
func (d *TextDecoder) Decode(dst []Glyph, text []byte) []Glyph {
	for _, c := range text {
		if d.lead != 0 {
			dst = append(dst, Glyph{Rune: d.decodePair(d.lead, c), Double: true})
			d.lead = 0
			continue
		}
		switch {
		case c < 0x80:
			dst = append(dst, Glyph{Rune: rune(c)})
		case d.kanji && d.isLead(c):
			d.lead = c
		default:
			dst = append(dst, Glyph{Rune: d.page.DecodeByte(c)})
		}
	}
	return dst
}

func (d *TextDecoder) isLead(c byte) bool {
	if d.profile.CJKEncoding == "shift_jis" {
		return (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)
	}
	return c >= 0x81 && c <= 0xfe
}

func (d *TextDecoder) decodePair(a, b byte) rune {
	enc := cjkEncodings[d.profile.CJKEncoding]
	out, err := enc.NewDecoder().Bytes([]byte{a, b})
	if err != nil {
		return utf8.RuneError
	}
	r, _ := utf8.DecodeRune(out)
	return r
}
