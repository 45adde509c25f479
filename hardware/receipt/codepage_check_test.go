package receipt_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// decoder is what the independent check decodes one byte with.
type decoder interface{ DecodeByte(b byte) rune }

// handPage is one of the pages golang.org/x/text lacks (CP720, CP737, CP857,
// CP864); the check takes them from the escpos tables but pins sample bytes
// of each below, against the IBM/Microsoft tables.
func handPage(t *testing.T, name string) decoder {
	p, ok := escpos.PageByName(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return p
}

// vendorPages are the ESC t numberings as the vendors document them,
// written down here a second time (not read from the profiles), so that a
// wrong number in a profile shows as a wrong character.
func vendorPages(t *testing.T) map[string]map[byte]decoder {
	epson := map[byte]decoder{0: charmap.CodePage437, 2: charmap.CodePage850, 3: charmap.CodePage860,
		4: charmap.CodePage863, 5: charmap.CodePage865, 13: handPage(t, "cp857"), 14: handPage(t, "cp737"),
		15: charmap.ISO8859_7, 16: charmap.Windows1252, 17: charmap.CodePage866, 18: charmap.CodePage852,
		19: charmap.CodePage858, 32: handPage(t, "cp720"), 36: charmap.CodePage862, 37: handPage(t, "cp864"),
		39: charmap.ISO8859_2, 40: charmap.ISO8859_15, 45: charmap.Windows1250, 46: charmap.Windows1251,
		47: charmap.Windows1253, 48: charmap.Windows1254, 49: charmap.Windows1255, 50: charmap.Windows1256}
	star := map[byte]decoder{0: charmap.CodePage437, 4: charmap.CodePage858, 5: charmap.CodePage852,
		6: charmap.CodePage860, 8: charmap.CodePage863, 9: charmap.CodePage865, 10: charmap.CodePage866,
		12: handPage(t, "cp857"), 13: charmap.CodePage862, 14: handPage(t, "cp864"), 15: handPage(t, "cp737"),
		32: charmap.Windows1252, 33: charmap.Windows1250, 34: charmap.Windows1251}
	clone := map[byte]decoder{0: charmap.CodePage437, 53: charmap.CodePage858, 54: charmap.CodePage852,
		55: charmap.CodePage860, 57: charmap.CodePage863, 58: charmap.CodePage865, 59: charmap.CodePage866,
		61: handPage(t, "cp857"), 62: charmap.CodePage862, 63: handPage(t, "cp864"), 64: handPage(t, "cp737"),
		71: charmap.Windows1252, 72: charmap.Windows1250, 73: charmap.Windows1251, 90: charmap.Windows1253,
		91: charmap.Windows1254, 92: charmap.Windows1256, 93: handPage(t, "cp720")}
	return map[string]map[byte]decoder{
		"generic-58mm": epson, "generic-80mm": epson, "epson-tm-t88vi": epson, "epson-tm-t20iii": epson,
		"star-tsp650-escpos": star, "pos-5890": clone, "xprinter-xp-58": clone, "xprinter-xp-80": clone,
	}
}

// TestHandPagesAgainstIBMTables pins bytes of the generated tables.
func TestHandPagesAgainstIBMTables(t *testing.T) {
	for _, tt := range []struct {
		page string
		b    byte
		want rune
	}{
		{"cp857", 0x98, 'İ'}, {"cp857", 0x8d, 'ı'}, {"cp857", 0xa6, 'Ğ'}, {"cp857", 0x9e, 'Ş'},
		{"cp737", 0x80, 'Α'}, {"cp737", 0x97, 'Ω'}, {"cp737", 0xa2, 'λ'},
		{"cp720", 0x9f, 'ا'}, {"cp720", 0xa0, 'ب'},
		{"cp864", 0xc7, '\uFE8D'} /* isolated alef: CP864 holds presentation forms */, {"cp864", 0xa3, '£'},
	} {
		if got := handPage(t, tt.page).DecodeByte(tt.b); got != tt.want {
			t.Errorf("%s %#x = %q, want %q", tt.page, tt.b, got, tt.want)
		}
	}
}

// walk decodes a golden byte stream the way the printer would: ESC t
// selects a page from the vendor's numbering, FS & / FS . switch GB18030
// double-byte mode. It returns the printed lines (trimmed) and counts cuts
// and drawer kicks.
func walk(t *testing.T, prof escpos.Profile, pages map[byte]decoder, job []byte) (lines []string, cuts, kicks int) {
	t.Helper()
	var page decoder = charmap.CodePage437
	kanji := false
	var line []rune
	var parser escpos.Parser
	parser.Feed(job, func(c escpos.Command) {
		switch c.Op {
		case escpos.OpInit:
			page, kanji = charmap.CodePage437, false
		case escpos.OpCodePage:
			d, ok := pages[c.Args[0]]
			if !ok {
				t.Errorf("%s: ESC t %d is not in the vendor's numbering", prof.Name, c.Args[0])
				return
			}
			page = d
		case escpos.OpKanjiOn:
			if !prof.CJK {
				t.Errorf("%s: FS & sent to a printer without a CJK mode", prof.Name)
			}
			kanji = true
		case escpos.OpKanjiOff:
			kanji = false
		case escpos.OpText:
			data := c.Data
			for i := 0; i < len(data); i++ {
				b := data[i]
				switch {
				case b < 0x80:
					line = append(line, rune(b))
				case kanji && i+1 < len(data):
					s, err := simplifiedchinese.GB18030.NewDecoder().String(string(data[i : i+2]))
					if err != nil {
						t.Errorf("%s: bad GB18030 pair % x", prof.Name, data[i:i+2])
					}
					line = append(line, []rune(s)...)
					i++
				default:
					line = append(line, page.DecodeByte(b))
				}
			}
		case escpos.OpLF:
			lines = append(lines, strings.TrimSpace(string(line)))
			line = nil
		case escpos.OpCut:
			cuts++
		case escpos.OpDrawerKick:
			kicks++
		}
	})
	return lines, cuts, kicks
}

// TestGoldenCodePages is the independent check of every golden byte stream
// against its profile's code pages: each text line of the golden .txt is
// found among the lines decoded with the vendor's tables; the euro and the
// Chinese line of Intl print as themselves where the printer has them; no
// cut reaches a printer without a cutter.
func TestGoldenCodePages(t *testing.T) {
	vendors := vendorPages(t)
	for _, g := range receipttest.Goldens() {
		t.Run(g.Name, func(t *testing.T) {
			prof, err := escpos.LookupProfile(g.Profile)
			if err != nil {
				t.Fatal(err)
			}
			pages, ok := vendors[prof.Name]
			if !ok {
				t.Fatalf("no vendor numbering written down for %s", prof.Name)
			}
			binPath, txtPath := g.Paths()
			job, err := os.ReadFile(binPath)
			if err != nil {
				t.Fatal(err)
			}
			txt, err := os.ReadFile(txtPath)
			if err != nil {
				t.Fatal(err)
			}
			lines, cuts, _ := walk(t, prof, pages, job)
			printed := map[string]bool{}
			for _, l := range lines {
				printed[l] = true
			}
			for _, tl := range strings.Split(strings.TrimRight(string(txt), "\n"), "\n") {
				_, content, _ := strings.Cut(tl, "|")
				content = strings.TrimSpace(content)
				if content == "" || strings.HasPrefix(content, "[QR ") || strings.HasPrefix(content, "[image ") {
					continue
				}
				if !printed[content] {
					t.Errorf("golden line %q not decoded from the bytes; decoded:\n%s", content, strings.Join(lines, "\n"))
				}
			}
			switch {
			case prof.Cutter && cuts != 1:
				t.Errorf("%d cuts, want 1", cuts)
			case !prof.Cutter && cuts != 0:
				t.Errorf("%d cuts sent to a printer without a cutter", cuts)
			}
			if !strings.HasPrefix(g.Name, "intl-") {
				return
			}
			euro, chinese := "TOTAL "+receipttest.IntlEuro, receipttest.IntlChinese
			if prof.Name == "generic-58mm" { // CP437 only: the documented replacement
				euro = "TOTAL EUR 12.40"
			}
			if !prof.CJK {
				chinese = "???? ??"
			}
			for _, want := range []string{chinese} {
				if !printed[want] {
					t.Errorf("%q not printed; decoded:\n%s", want, strings.Join(lines, "\n"))
				}
			}
			found := false
			for _, l := range lines {
				if strings.HasPrefix(l, "TOTAL") && strings.Join(strings.Fields(l), " ") == euro {
					found = true
				}
			}
			if !found {
				t.Errorf("%q not printed; decoded:\n%s", euro, strings.Join(lines, "\n"))
			}
		})
	}
}
