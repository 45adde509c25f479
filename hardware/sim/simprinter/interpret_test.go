package simprinter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b = append(b, v...)
		case byte:
			b = append(b, v)
		case int:
			b = append(b, byte(v))
		case rune:
			b = append(b, byte(v))
		case []byte:
			b = append(b, v...)
		default:
			panic("cat: unsupported part")
		}
	}
	return b
}

const (
	esc = 0x1b
	gs  = 0x1d
	fs  = 0x1c
	lf  = 0x0a
)

var cut = []byte{gs, 'V', 66, 0}

// Each input is written from the ESC/POS reference by hand, independent of
// the encoder; want is the text the simulator must print.
var interpretTests = []struct {
	name    string
	profile string
	in      []byte
	want    []string // text of each receipt
	note    string   // substring expected in the notes of the first receipt
}{
	{"plain", "", cat(esc, '@', "Hello", lf, cut), []string{"    |Hello\n"}, ""},
	{"print mode bold double", "", cat(esc, '!', 0x38, "BIG", lf, esc, '!', 0, "x", lf, cut),
		[]string{"B WH|BIG\n    |x\n"}, ""},
	{"GS ! width only", "", cat(gs, '!', 0x10, "W", lf, cut), []string{"  W |W\n"}, ""},
	{"underline", "", cat(esc, '-', 1, "u", lf, cut), []string{" U  |u\n"}, ""},
	{"style on spaces only is not marked", "", cat(esc, 'E', 1, "   ", lf, "a", lf, cut), []string{"    |\nB   |a\n"}, ""},
	{"center with ESC a", "generic-80mm", cat(esc, 'a', 1, "abcd", lf, cut),
		[]string{"    |" + strings.Repeat(" ", 22) + "abcd\n"}, ""}, // (576-48)/2 = 264 dots = 22 cells
	{"right with ESC a", "generic-58mm", cat(esc, 'a', 2, "ab", lf),
		[]string{"    |" + strings.Repeat(" ", 30) + "ab\n"}, ""},
	{"code page 1252", "generic-80mm", cat(esc, 't', 16, 0x80, " ", 0xe9, lf, cut), []string{"    |€ é\n"}, ""},
	{"cp437 default", "generic-80mm", cat(0x82, 0x9c, lf, cut), []string{"    |é£\n"}, ""},
	{"code page missing", "generic-58mm", cat(esc, 't', 99, 0x82, lf), []string{"    |é\n"}, "code page 99"},
	{"kanji", "xprinter-xp-58", cat(fs, '&', 0xbf, 0xa7, fs, '.', 0x9d, lf), []string{"    |咖¥\n"}, ""},
	{"kanji refused on a latin printer", "generic-80mm", cat(fs, '&', 0xbf, 0xa7, lf, cut), []string{"    |┐º\n"}, "no CJK mode"},
	{"ESC d feeds lines", "", cat("a", esc, 'd', 2, "b", lf, cut), []string{"    |a\n    |\n    |b\n"}, ""},
	{"trailing blank lines trimmed", "", cat("a", lf, lf, lf, cut), []string{"    |a\n"}, ""},
	{"no cutter: GS V skipped", "generic-58mm", cat("a", lf, cut), []string{"    |a\n"}, "has no cutter"},
	{"no cutter: torn off at the next ESC @", "pos-5890", cat(esc, '@', "a", lf, esc, '@', "b", lf),
		[]string{"    |a\n", "    |b\n"}, ""},
	{"Star emulation: ESC t 4 is CP858", "star-tsp650-escpos", cat(esc, 't', 4, 0xd5, lf, cut), []string{"    |€\n"}, ""},
	{"wrap at paper width", "generic-58mm", cat(strings.Repeat("x", 33), lf),
		[]string{"    |" + strings.Repeat("x", 32) + "\n    |x\n"}, ""},
	{"tab", "", cat("a", 0x09, "b", lf, cut), []string{"    |a       b\n"}, ""},
	{"ESC @ clears the line buffer", "", cat("abc", esc, '@', "def", lf, cut), []string{"    |def\n"}, ""},
	{"unknown command skipped", "", cat(esc, 0x01, "ok", lf, cut), []string{"    |ok\n"}, "ESC 0x01"},
	{"raster image", "generic-58mm", cat(gs, 'v', '0', 0, 1, 0, 8, 0, make([]byte, 8)), []string{"    |[image 8x8]\n"}, ""},
	{"native QR", "epson-tm-t88vi", cat(gs, '(', 'k', 8, 0, 49, 80, 48, "hello", gs, '(', 'k', 3, 0, 49, 81, 48, cut),
		[]string{"    |[QR hello]\n"}, ""},
	{"QR print without data", "", cat(gs, '(', 'k', 3, 0, 49, 81, 48, "x", lf, cut), []string{"    |x\n"}, "no data stored"},
	{"PDF417 not modelled", "", cat(gs, '(', 'k', 3, 0, 48, 81, 48, "x", lf, cut), []string{"    |x\n"}, "cn=48"},
	{"barcode", "", cat(gs, 'k', 73, 3, "ABC", cut), []string{"    |[barcode 73 ABC]\n"}, ""},
	{"two cuts, two receipts", "", cat("one", lf, cut, "two", lf, cut), []string{"    |one\n", "    |two\n"}, ""},
	{"bad size ignored", "", cat(gs, '!', 0x99, "s", lf, cut), []string{"    |s\n"}, "size"},
}

func TestInterpret(t *testing.T) {
	for _, tt := range interpretTests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Interpret(tt.profile, tt.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != len(tt.want) {
				t.Fatalf("%d receipts, want %d: %+v", len(rs), len(tt.want), rs)
			}
			for i, r := range rs {
				if r.Text != tt.want[i] {
					t.Errorf("receipt %d:\n got %q\nwant %q", i, r.Text, tt.want[i])
				}
				if r.Partial {
					t.Errorf("receipt %d partial though cut", i)
				}
			}
			notes := strings.Join(rs[0].Notes, "; ")
			if tt.note != "" && !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q do not mention %q", notes, tt.note)
			}
			if tt.note == "" && notes != "" {
				t.Errorf("unexpected notes: %s", notes)
			}
		})
	}
}

func TestInterpretUncutJobIsPartial(t *testing.T) {
	rs, err := Interpret("", []byte("no cut"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !rs[0].Partial || rs[0].Text != "    |no cut\n" {
		t.Fatalf("got %+v", rs)
	}
	if _, err := Interpret("nope", nil, nil); err == nil {
		t.Error("unknown profile accepted")
	}
}

// A page that is never cut is closed at the page limit instead of growing.
func TestPageLimit(t *testing.T) {
	// 255-line feeds of 30 dots: 20,000 dots need 3 of them.
	var job []byte
	for i := 0; i < 6; i++ {
		job = append(job, esc, 'd', 255)
	}
	rs, err := Interpret("", job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 2 || !strings.Contains(strings.Join(rs[0].Notes, ";"), "page limit") {
		t.Fatalf("page limit not applied: %d receipts, notes %v", len(rs), rs[0].Notes)
	}
}

func interpretSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, tt := range interpretTests {
		seeds = append(seeds, tt.in)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "receipts", "*.bin"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzInterpret: whatever the bytes, the interpreter does not panic, cuts
// no more receipts than there are bytes, and its text stays proportionate
// to its input (the worst case is ESC d 255: 3 bytes, 255 blank lines).
func FuzzInterpret(f *testing.F) {
	for _, s := range interpretSeeds(f) {
		f.Add(s, "generic-58mm")
		f.Add(s, "xprinter-xp-58")
	}
	f.Fuzz(func(t *testing.T, in []byte, profile string) {
		rs, err := Interpret(profile, in, nil)
		if err != nil {
			return // unknown profile name
		}
		if len(rs) > len(in)+1 {
			t.Fatalf("%d receipts from %d bytes", len(rs), len(in))
		}
		total := 0
		for _, r := range rs {
			total += len(r.Text)
			if len(r.PNG) == 0 {
				t.Fatal("receipt without PNG")
			}
		}
		if total > 600*len(in)+1000 {
			t.Fatalf("%d bytes of text from %d bytes of input", total, len(in))
		}
	})
}
