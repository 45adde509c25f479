package receipt

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/hardware/escpos"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want []string
	}{
		{"short", 10, []string{"short"}},
		{"", 10, []string{""}},
		{"two words here", 9, []string{"two words", "here"}},
		{"abcdefghijkl", 5, []string{"abcde", "fghij", "kl"}},
		{"trailing   ", 8, []string{"trailing"}},
		{"咖啡咖啡咖", 4, []string{"咖啡", "咖啡", "咖"}}, // 2 cells each
		{"a 咖啡咖", 4, []string{"a", "咖啡", "咖"}},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.w); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestPair(t *testing.T) {
	tests := []struct {
		l, r string
		w    int
		want []string
	}{
		{"Tea", "2.00", 12, []string{"Tea     2.00"}},
		{"Tea", "", 12, []string{"Tea"}},
		{"A long item name", "9.99", 12, []string{"A long item", "name    9.99"}},
		{"Exactly twelve", "1.00", 12, []string{"Exactly", "twelve  1.00"}},
		{"Twelve chars", "1.00", 12, []string{"Twelve chars", "        1.00"}},
		{"咖啡", "¥5", 8, []string{"咖啡  ¥5"}},
	}
	for _, tt := range tests {
		if got := pair(tt.l, tt.r, tt.w); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("pair(%q, %q, %d) = %q, want %q", tt.l, tt.r, tt.w, got, tt.want)
		}
	}
}

func TestAlignAndFill(t *testing.T) {
	if got := align("ab", 6, AlignCenter); got != "  ab" {
		t.Errorf("center: %q", got)
	}
	if got := align("ab", 6, AlignRight); got != "    ab" {
		t.Errorf("right: %q", got)
	}
	if got := align("toolong", 3, AlignRight); got != "toolong" {
		t.Errorf("overlong: %q", got)
	}
	if got := fill("-", 5); got != "-----" {
		t.Errorf("fill: %q", got)
	}
	if got := fill("咖", 5); got != "咖咖" {
		t.Errorf("wide fill: %q", got)
	}
}

func TestTextPreview(t *testing.T) {
	r := New(
		Title("Shop"),
		Pair("Tea", "€2"),
		Rule(),
		Feed(1),
		QR("code"),
		Total("TOTAL", "€2"),
		Feed(3), // blank paper at the end is not shown
	)
	want := strings.Join([]string{
		"B WH|   Shop",
		"    |Tea" + strings.Repeat(" ", 15) + "€2",
		"    |--------------------",
		"    |",
		"    |[QR code]",
		"B   |TOTAL" + strings.Repeat(" ", 13) + "€2",
	}, "\n") + "\n"
	if got := r.Text(20); got != want {
		t.Errorf("Text(20):\n%s\nwant:\n%s", got, want)
	}
	p58, _ := escpos.LookupProfile("generic-58mm")
	if got := r.TextFor(p58); !strings.Contains(got, "|Tea"+strings.Repeat(" ", 25)+"EUR2\n") || strings.Contains(got, "€") {
		t.Errorf("TextFor(58mm) does not show the transliteration:\n%s", got)
	}
	if New().Text(32) != "" {
		t.Error("empty receipt has text")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		line Line
	}{
		{"empty QR", QR("")},
		{"invalid UTF-8 QR", QR("\xff")},
		{"negative feed", Feed(-1)},
		{"huge feed", Feed(1000)},
		{"unknown kind", Line{Kind: 99}},
		{"unknown align", Line{Kind: KindText, Align: 7}},
	}
	p, _ := escpos.LookupProfile("generic-80mm")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(Text("ok"), tt.line)
			if err := r.Validate(); !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("Validate = %v", err)
			}
			if _, err := r.ESCPOS(p); !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("ESCPOS = %v", err)
			}
		})
	}
	tooBig := New(QR(strings.Repeat("x", 3000)))
	if _, err := tooBig.ESCPOS(p); !errors.Is(err, escpos.ErrQRTooLarge) {
		t.Errorf("oversized QR: %v", err)
	}
	bad := p
	bad.Columns = 0
	if _, err := New(Text("x")).ESCPOS(bad); !errors.Is(err, escpos.ErrInvalidProfile) {
		t.Errorf("bad profile: %v", err)
	}
}

func TestKickDrawerAndCut(t *testing.T) {
	p, _ := escpos.LookupProfile("epson-tm-t88vi")
	r := New(Text("x"))
	r.KickDrawer = true
	b, err := r.ESCPOS(p)
	if err != nil {
		t.Fatal(err)
	}
	tail := []byte{0x1d, 'V', 66, 0, 0x1b, 'p', 0, 50, 100}
	if !strings.HasSuffix(string(b), string(tail)) {
		t.Errorf("job ends % x, want cut then drawer kick % x", b[len(b)-len(tail):], tail)
	}
}
