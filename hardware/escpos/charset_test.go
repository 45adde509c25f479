package escpos

import (
	"errors"
	"testing"
)

func TestMapText(t *testing.T) {
	tests := []struct {
		profile, in, want string
	}{
		{"generic-58mm", "Café", "Café"},       // é in cp437
		{"generic-58mm", "Cafe\u0301", "Café"}, // NFC first
		{"generic-58mm", "€ 5", "EUR 5"},       // no € in cp437
		{"generic-80mm", "€ 5", "€ 5"},         // cp1252 has it
		{"generic-58mm", "Łódź", "Lódz"},       // ł by table, ó kept, ź loses accent
		{"generic-58mm", "“quoted” — ok…", `"quoted" - ok...`},
		{"generic-58mm", "☃", "?"},                                 // nothing to do
		{"generic-58mm", "a\tb\x00c\u200bd", "a bcd"},              // tab, NUL, zero-width space
		{"generic-58mm", "咖啡", "??"},                               // CJK on a Latin printer
		{"xprinter-xp-58", "咖啡", "咖啡"},                             // CJK printer
		{"xprinter-xp-58", "λ", "λ"},                               // Greek: CP737, not the GB18030 mode
		{"generic-80mm", "λ", "?"},                                 // no Greek page
		{"star-tsp650-escpos", "İstanbul şişli", "İstanbul şişli"}, // CP857
		{"epson-tm-t88vi", "שלום سلام", "שלום سلام"},               // CP862, CP864
		{"pos-5890", "Łódź Ђ", "Łódź Ђ"},                           // CP852, CP1251
		{"epson-tm-t88vi", "Straße", "Straße"},                     // ß in cp437
		{"generic-58mm", "\xff", ""},                               // invalid UTF-8 dropped
	}
	for _, tt := range tests {
		if got := MapText(mustProfile(t, tt.profile), tt.in); got != tt.want {
			t.Errorf("MapText(%s, %q) = %q, want %q", tt.profile, tt.in, got, tt.want)
		}
	}
}

func TestRuneCells(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want int
	}{
		{"abc", 3}, {"é", 1}, {"咖啡", 4}, {"e\u0301", 1}, {"｡", 1}, {"Ａ", 2}, {"\t", 0},
	} {
		if got := StringCells(tt.s); got != tt.want {
			t.Errorf("StringCells(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

// What the encoder writes, the decoder reads back, for every profile.
func TestTextRoundTrip(t *testing.T) {
	in := "Grüße aus Köln: 5 € — 咖啡 ¥28 Жизнь"
	for _, p := range Profiles() {
		e := NewEncoder(p).Init().Text(in)
		want := MapText(p, in)
		var parser Parser
		d := NewTextDecoder(p)
		var got []rune
		parser.Feed(e.Bytes(), func(c Command) {
			switch c.Op {
			case OpText:
				for _, g := range d.Decode(nil, c.Data) {
					got = append(got, g.Rune)
				}
			case OpCodePage:
				if !d.SelectCodePage(c.Args[0]) {
					t.Errorf("%s: encoder selected page %d the profile lacks", p.Name, c.Args[0])
				}
			case OpKanjiOn, OpKanjiOff:
				d.SetKanji(c.Op == OpKanjiOn)
			case OpInit:
				d.Reset()
			}
		})
		if string(got) != want {
			t.Errorf("%s: decoded %q, want %q", p.Name, string(got), want)
		}
	}
}

func TestProfiles(t *testing.T) {
	names := ProfileNames()
	if len(names) < 4 {
		t.Fatalf("only %d profiles", len(names))
	}
	for _, p := range Profiles() {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	if _, err := LookupProfile("EPSON-TM-T88VI"); err != nil {
		t.Errorf("lookup is not case-insensitive: %v", err)
	}
	if _, err := LookupProfile("nope"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("unknown profile: err = %v", err)
	}
	bad := mustProfile(t, "generic-58mm")
	bad.Columns = 40 // 40*12 > 384
	if err := bad.Validate(); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("columns too wide: err = %v", err)
	}
	bad = mustProfile(t, "generic-58mm")
	bad.CodePages = []CodePage{{99, "klingon"}}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("unknown code page: err = %v", err)
	}
	// LookupProfile hands out copies: changing one does not change the table.
	p := mustProfile(t, "generic-80mm")
	p.CodePages[0].Name = "changed"
	if mustProfile(t, "generic-80mm").CodePages[0].Name != "cp437" {
		t.Error("LookupProfile shares the built-in code page slice")
	}
}
