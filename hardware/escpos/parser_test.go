package escpos

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type parsed struct {
	Op     Op
	Args   string
	Data   string
	Reason string // substring of the reason
}

var parserTests = []struct {
	name string
	in   []byte
	want []parsed
}{
	{"text and LF", []byte("Hello\nWorld"), []parsed{{OpText, "", "Hello", ""}, {OpLF, "", "", ""}, {OpText, "", "World", ""}}},
	{"init bold size align", []byte{0x1b, '@', 0x1b, 'E', 1, 0x1d, '!', 0x11, 0x1b, 'a', 1},
		[]parsed{{OpInit, "", "", ""}, {OpBold, "\x01", "", ""}, {OpSize, "\x11", "", ""}, {OpAlign, "\x01", "", ""}}},
	{"print mode, underline, code page, font", []byte{0x1b, '!', 0x38, 0x1b, '-', 2, 0x1b, 't', 16, 0x1b, 'M', 1},
		[]parsed{{OpPrintMode, "\x38", "", ""}, {OpUnderline, "\x02", "", ""}, {OpCodePage, "\x10", "", ""}, {OpFont, "\x01", "", ""}}},
	{"feeds and spacing", []byte{0x1b, 'd', 3, 0x1b, 'J', 60, 0x1b, '2', 0x1b, '3', 40},
		[]parsed{{OpFeedLines, "\x03", "", ""}, {OpFeedDots, "<", "", ""}, {OpLineSpacingDefault, "", "", ""}, {OpLineSpacing, "(", "", ""}}},
	{"drawer and cuts", []byte{0x1b, 'p', 0, 50, 100, 0x1d, 'V', 66, 0, 0x1d, 'V', 1, 0x1b, 'i'},
		[]parsed{{OpDrawerKick, "\x00\x32\x64", "", ""}, {OpCut, "B\x00", "", ""}, {OpCut, "\x01", "", ""}, {OpCut, "i", "", ""}}},
	{"raster", []byte{0x1d, 'v', '0', 0, 1, 0, 2, 0, 0xff, 0x81},
		[]parsed{{OpRaster, "\x00\x01\x00\x02\x00", "\xff\x81", ""}}},
	{"native QR store", []byte{0x1d, '(', 'k', 5, 0, 49, 80, 48, 'h', 'i'},
		[]parsed{{OpQR, "", "1P0hi", ""}}},
	{"status requests", []byte{0x10, 0x04, 1, 0x1d, 'r', 1, 0x1d, 'a', 0x0f, 0x1d, 'I', 67, 0x10, 0x05, 2},
		[]parsed{{OpRealTimeStatus, "\x01", "", ""}, {OpTransmitStatus, "\x01", "", ""}, {OpASB, "\x0f", "", ""}, {OpTransmitID, "C", "", ""}, {OpRealTimeRecover, "\x02", "", ""}}},
	{"clear buffers", []byte{0x10, 0x14, 8, 1, 3, 20, 1, 6, 2, 8},
		[]parsed{{OpRealTimeRequest, "\x08\x01\x03\x14\x01\x06\x02\x08", "", ""}}},
	{"kanji", []byte{0x1c, '&', 0xbf, 0xa7, 0x1c, '.'},
		[]parsed{{OpKanjiOn, "", "", ""}, {OpText, "", "\xbf\xa7", ""}, {OpKanjiOff, "", "", ""}}},
	{"barcode format B", []byte{0x1d, 'k', 73, 3, 'A', 'B', 'C'}, []parsed{{OpBarcode, "I", "ABC", ""}}},
	{"barcode format A", []byte{0x1d, 'k', 4, '1', '2', 0}, []parsed{{OpBarcode, "\x04", "12", ""}}},
	{"ignored commands keep their parameters", []byte{0x1b, ' ', 'X', 0x1d, 'H', 2, 0x1b, '$', 1, 2, 'Y'},
		[]parsed{{OpIgnored, "", "", "character spacing"}, {OpIgnored, "", "", "GS H"}, {OpIgnored, "", "", "horizontal position"}, {OpText, "", "Y", ""}}},
	{"graphics GS ( L skipped whole", []byte{0x1d, '(', 'L', 3, 0, 48, 50, 48, 'Z'},
		[]parsed{{OpIgnored, "", "", "GS ( L"}, {OpText, "", "Z", ""}}},
	{"unknown ESC", []byte{0x1b, 0x01, 'A'}, []parsed{{OpUnknown, "", "", "ESC 0x01"}, {OpText, "", "A", ""}}},
	{"unknown GS", []byte{0x1d, 0xfe, 'A'}, []parsed{{OpUnknown, "", "", "GS 0xfe"}, {OpText, "", "A", ""}}},
	{"stray control byte", []byte{0x07, 'A'}, []parsed{{OpUnknown, "", "", "control byte 0x07"}, {OpText, "", "A", ""}}},
	{"lone DLE", []byte{0x10, 'A'}, []parsed{{OpUnknown, "", "", "DLE followed"}, {OpText, "", "A", ""}}},
	{"bad GS V", []byte{0x1d, 'V', 9, 'A'}, []parsed{{OpUnknown, "", "", "GS V with function 9"}, {OpText, "", "A", ""}}},
	{"barcode A without NUL", append([]byte{0x1d, 'k', 4}, bytes.Repeat([]byte{'1'}, 300)...),
		[]parsed{{OpUnknown, "", "", "without NUL"}, {OpText, "", strings.Repeat("1", 300), ""}}},
	{"user chars skipped whole", []byte{0x1b, '&', 3, 'A', 'A', 1, 1, 2, 3, 'Q'},
		[]parsed{{OpIgnored, "", "", "user-defined"}, {OpText, "", "Q", ""}}},
	{"incomplete command waits", []byte{0x1d, 'v', '0', 0, 1, 0, 2}, nil},
}

func collect(p *Parser, in []byte, step int) []Command {
	var out []Command
	for i := 0; i < len(in); i += step {
		p.Feed(in[i:min(i+step, len(in))], func(c Command) { out = append(out, c) })
	}
	return out
}

// merged joins adjacent text commands: text split across reads comes out
// in pieces, which is the same text.
func merged(cmds []Command) []parsed {
	var out []parsed
	for _, c := range cmds {
		if c.Op == OpText && len(out) > 0 && out[len(out)-1].Op == OpText {
			out[len(out)-1].Data += string(c.Data)
			continue
		}
		out = append(out, parsed{c.Op, string(c.Args), string(c.Data), c.Reason})
	}
	return out
}

func TestParser(t *testing.T) {
	for _, tt := range parserTests {
		t.Run(tt.name, func(t *testing.T) {
			for _, step := range []int{len(tt.in), 1, 3} {
				var p Parser
				got := merged(collect(&p, tt.in, max(step, 1)))
				if len(got) != len(tt.want) {
					t.Fatalf("step %d: got %d commands %+v, want %+v", step, len(got), got, tt.want)
				}
				for i := range got {
					w := tt.want[i]
					g := got[i]
					if g.Op != w.Op || (w.Op != OpIgnored && w.Op != OpUnknown && (g.Args != w.Args || g.Data != w.Data)) {
						t.Errorf("step %d, command %d: got %+v, want %+v", step, i, g, w)
					}
					if !strings.Contains(g.Reason, w.Reason) {
						t.Errorf("step %d, command %d: reason %q does not mention %q", step, i, g.Reason, w.Reason)
					}
				}
			}
		})
	}
}

// An oversized payload is reported and skipped as it streams by; the
// parser never holds it.
func TestParserSkipsOversizedPayload(t *testing.T) {
	p := Parser{MaxPayload: 1000}
	var got []Command
	emit := func(c Command) { got = append(got, c) }
	p.Feed([]byte{0x1d, 'v', '0', 0, 100, 0, 100, 0}, emit) // 10,000 bytes declared
	for i := 0; i < 10; i++ {
		p.Feed(bytes.Repeat([]byte{0xaa}, 1000), emit)
		if p.Pending() > 1000 {
			t.Fatalf("parser holds %d bytes", p.Pending())
		}
	}
	p.Feed([]byte("after"), emit)
	if len(got) != 2 || got[0].Op != OpUnknown || !strings.Contains(got[0].Reason, "exceeds") {
		t.Fatalf("got %v", got)
	}
	if got[1].Op != OpText || string(got[1].Data) != "after" {
		t.Errorf("parsing did not resume after the payload: %v", got[1])
	}
}

// parserSeeds are the table inputs plus the golden receipts.
func parserSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, tt := range parserTests {
		seeds = append(seeds, tt.in)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "receipts", "*.bin"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzParser: every byte is accounted for (in a command's Raw, still
// pending, or in a payload the parser said it skipped), splitting the
// input does not change the commands, and nothing panics.
func FuzzParser(f *testing.F) {
	for _, s := range parserSeeds(f) {
		f.Add(s, uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		whole := Parser{MaxPayload: 4096}
		cmds := collect(&whole, in, max(len(in), 1))
		total := whole.Pending() + whole.skip
		for _, c := range cmds {
			total += len(c.Raw)
			if c.Op == OpUnknown && strings.Contains(c.Reason, "exceeds") {
				n := strings.Index(c.Reason, "payload of ")
				var size int
				for _, ch := range c.Reason[n+len("payload of "):] {
					if ch < '0' || ch > '9' {
						break
					}
					size = size*10 + int(ch-'0')
				}
				total += size
			}
			if (c.Op == OpIgnored || c.Op == OpUnknown) && c.Reason == "" {
				t.Fatalf("%v without a reason", c.Op)
			}
		}
		if total != len(in) && whole.skip == 0 {
			t.Fatalf("accounted for %d of %d bytes", total, len(in))
		}
		if whole.Pending() > 4096+16 {
			t.Fatalf("parser holds %d bytes", whole.Pending())
		}
		parts := Parser{MaxPayload: 4096}
		got := merged(collect(&parts, in, int(split%32)+1))
		if want := merged(cmds); !reflect.DeepEqual(got, want) {
			t.Fatalf("split feed differs:\n got %+v\nwant %+v", got, want)
		}
	})
}
