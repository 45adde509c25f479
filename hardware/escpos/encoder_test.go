package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
)

func mustProfile(t testing.TB, name string) Profile {
	t.Helper()
	p, err := LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The expected bytes are written from the ESC/POS command reference, not
// from the encoder.
func TestEncoder(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		build   func(e *Encoder)
		want    []byte
	}{
		{"init selects first code page", "generic-80mm", func(e *Encoder) { e.Init() },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0}},
		{"init on CJK firmware leaves Kanji mode", "xprinter-xp-58", func(e *Encoder) { e.Init() },
			[]byte{0x1b, 0x40, 0x1c, 0x2e, 0x1b, 0x74, 0}},
		{"bold underline size", "generic-80mm", func(e *Encoder) { e.Bold(true).Underline(true).Size(2, 3) },
			[]byte{0x1b, 'E', 1, 0x1b, '-', 1, 0x1d, '!', 0x12}},
		{"style normal", "generic-80mm", func(e *Encoder) { e.Style(Normal) },
			[]byte{0x1b, 'E', 0, 0x1b, '-', 0, 0x1d, '!', 0}},
		{"align center", "generic-80mm", func(e *Encoder) { e.Align(AlignCenter) }, []byte{0x1b, 'a', 1}},
		{"line", "generic-80mm", func(e *Encoder) { e.Line("Hi") }, []byte("Hi\n")},
		{"accent in first page", "generic-80mm", func(e *Encoder) { e.Init().Text("é") },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 0x82}},
		{"euro switches to cp858", "generic-80mm", func(e *Encoder) { e.Init().Text("€ é") },
			// € is not in cp437; cp858 (Epson ESC t 19) has it at 0xd5
			// and é at 0x82, so the page stays.
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 0x1b, 0x74, 19, 0xd5, ' ', 0x82}},
		{"euro transliterated without a page for it", "generic-58mm", func(e *Encoder) { e.Init().Text("€5") },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 'E', 'U', 'R', '5'}},
		{"cyrillic via cp866", "epson-tm-t88vi", func(e *Encoder) { e.Init().Text("Ж") },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 0x1b, 0x74, 17, 0x86}},
		{"CJK enters and leaves Kanji mode", "xprinter-xp-58", func(e *Encoder) { e.Init().Text("咖a咖ñ") },
			[]byte{0x1b, 0x40, 0x1c, 0x2e, 0x1b, 0x74, 0, 0x1c, '&', 0xbf, 0xa7, 'a', 0xbf, 0xa7, 0x1c, '.', 0xa4}},
		{"CJK unprintable on a Latin printer", "generic-80mm", func(e *Encoder) { e.Text("咖") }, []byte("?")},
		{"controls dropped, tab is a space", "generic-80mm", func(e *Encoder) { e.Text("a\tb\x07c\x1b@") }, []byte("a bc@")},
		{"feed", "generic-80mm", func(e *Encoder) { e.Feed(300) }, []byte{0x1b, 'd', 255, 0x1b, 'd', 45}},
		{"line spacing", "generic-80mm", func(e *Encoder) { e.LineSpacing(40).LineSpacing(0) },
			[]byte{0x1b, '3', 40, 0x1b, '2'}},
		{"partial cut", "epson-tm-t88vi", func(e *Encoder) { e.Cut() }, []byte{0x1d, 'V', 66, 0}},
		{"no cutter: tear feed, no GS V", "generic-58mm", func(e *Encoder) { e.Cut() }, []byte{0x1b, 'd', 3}},
		{"euro on Star emulation is page 4", "star-tsp650-escpos", func(e *Encoder) { e.Init().Text("€") },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 0x1b, 0x74, 4, 0xd5}},
		{"euro on a POS-5890 clone is page 53", "pos-5890", func(e *Encoder) { e.Init().Text("€") },
			[]byte{0x1b, 0x40, 0x1c, '.', 0x1b, 0x74, 0, 0x1b, 0x74, 53, 0xd5}},
		{"Turkish on Epson is CP857 (13)", "epson-tm-t88vi", func(e *Encoder) { e.Init().Text("ğ") },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 0x1b, 0x74, 13, 0xa7}},
		{"Greek on Star is CP737 (15)", "star-tsp650-escpos", func(e *Encoder) { e.Init().Text("λ") },
			[]byte{0x1b, 0x40, 0x1b, 0x74, 0, 0x1b, 0x74, 15, 0xa2}},
		{"drawer kick pin 2, 100/200 ms", "generic-80mm", func(e *Encoder) { e.KickDrawer(DrawerPin2, 100, 200) },
			[]byte{0x1b, 'p', 0, 50, 100}},
		{"native QR", "epson-tm-t88vi", func(e *Encoder) { e.QR("AB", 4, QRLevelM) }, []byte{
			0x1d, '(', 'k', 4, 0, 49, 65, 50, 0,
			0x1d, '(', 'k', 3, 0, 49, 67, 4,
			0x1d, '(', 'k', 3, 0, 49, 69, 49,
			0x1d, '(', 'k', 5, 0, 49, 80, 48, 'A', 'B',
			0x1d, '(', 'k', 3, 0, 49, 81, 48}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(mustProfile(t, tt.profile))
			tt.build(e)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Bytes(), tt.want) {
				t.Errorf("got  % x\nwant % x", e.Bytes(), tt.want)
			}
		})
	}
}

func TestEncoderErrors(t *testing.T) {
	wide := image.NewGray(image.Rect(0, 0, 600, 8))
	tests := []struct {
		name  string
		build func(e *Encoder)
		want  error
	}{
		{"size too big", func(e *Encoder) { e.Size(9, 1) }, ErrInvalidArgument},
		{"bad alignment", func(e *Encoder) { e.Align(3) }, ErrInvalidArgument},
		{"bad drawer pin", func(e *Encoder) { e.KickDrawer(2, 100, 100) }, ErrInvalidArgument},
		{"drawer on a profile without a drawer port", func(e *Encoder) { e.KickDrawer(DrawerPin2, 100, 100) }, ErrNoDrawer},
		{"negative feed", func(e *Encoder) { e.Feed(-1) }, ErrInvalidArgument},
		{"empty QR", func(e *Encoder) { e.QR("", 0, QRLevelM) }, ErrInvalidArgument},
		{"bad QR level", func(e *Encoder) { e.QR("x", 0, 7) }, ErrInvalidArgument},
		{"QR over capacity", func(e *Encoder) { e.QR(strings.Repeat("x", 3000), 0, QRLevelM) }, ErrQRTooLarge},
		{"QR wider than paper", func(e *Encoder) { e.QR(strings.Repeat("x", 500), 8, QRLevelM) }, ErrQRTooLarge},
		{"image wider than paper", func(e *Encoder) { e.Image(wide) }, ErrImageTooWide},
		{"empty image", func(e *Encoder) { e.Image(image.NewGray(image.Rect(0, 0, 0, 0))) }, ErrBadImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(mustProfile(t, "generic-58mm"))
			tt.build(e)
			if !errors.Is(e.Err(), tt.want) {
				t.Fatalf("err = %v, want %v", e.Err(), tt.want)
			}
			// The error sticks and later calls do nothing.
			n := len(e.Bytes())
			e.Line("more")
			if len(e.Bytes()) != n {
				t.Error("encoder kept writing after an error")
			}
		})
	}
}

// A raster goes out in strips of at most MaxStripRows rows, each a full
// GS v 0 header with its own height.
func TestRasterStrips(t *testing.T) {
	p := mustProfile(t, "generic-58mm") // 64-row strips
	img := image.NewGray(image.Rect(0, 0, 20, 150))
	for y := 0; y < 150; y++ {
		for x := 0; x < 20; x++ {
			img.SetGray(x, y, color.Gray{Y: 0xff})
		}
	}
	img.SetGray(0, 0, color.Gray{})    // top-left dot black
	img.SetGray(19, 149, color.Gray{}) // bottom-right dot black
	e := NewEncoder(p).Image(img)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	b := e.Bytes()
	const bpr = 3 // 20 dots -> 3 bytes
	var heights []int
	var bits []byte
	for len(b) > 0 {
		if len(b) < 8 || !bytes.Equal(b[:4], []byte{0x1d, 'v', '0', 0}) {
			t.Fatalf("not a GS v 0 header: % x", b[:min(8, len(b))])
		}
		if x := int(b[4]) | int(b[5])<<8; x != bpr {
			t.Fatalf("bytes per row %d, want %d", x, bpr)
		}
		h := int(b[6]) | int(b[7])<<8
		heights = append(heights, h)
		bits = append(bits, b[8:8+h*bpr]...)
		b = b[8+h*bpr:]
	}
	if want := []int{64, 64, 22}; !equalInts(heights, want) {
		t.Errorf("strip heights %v, want %v", heights, want)
	}
	if bits[0] != 0x80 {
		t.Errorf("first byte %#x, want 0x80 (top-left dot)", bits[0])
	}
	if last := bits[len(bits)-1]; last != 0x10 { // dot 19 = bit 3 of byte 2
		t.Errorf("last byte %#x, want 0x10 (bottom-right dot)", last)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Profiles without native QR get the same symbol as a raster, and it has
// the quiet zone: white border of 4 modules.
func TestRasterQR(t *testing.T) {
	p := mustProfile(t, "generic-58mm")
	e := NewEncoder(p).QR("stillpay", 3, QRLevelM)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(e.Bytes(), []byte{0x1d, '(', 'k'}) {
		t.Fatal("GS ( k sent to a profile without native QR")
	}
	r, err := QRRasterFor("stillpay", QRLevelM, 3)
	if err != nil {
		t.Fatal(err)
	}
	modules, _ := QRModules("stillpay", QRLevelM)
	if r.Width != (modules+8)*3 {
		t.Errorf("raster width %d, want %d", r.Width, (modules+8)*3)
	}
	for x := 0; x < 12; x++ {
		if r.At(x, 12) || r.At(12, x) {
			t.Fatal("quiet zone not white")
		}
	}
	if !r.At(12, 12) {
		t.Error("finder pattern corner not black")
	}
}

func TestAutoQRModule(t *testing.T) {
	p58, p80 := mustProfile(t, "generic-58mm"), mustProfile(t, "generic-80mm")
	for _, tt := range []struct {
		p       Profile
		modules int
		want    int
	}{
		{p58, 21, 6},  // small code: capped at 6 dots
		{p58, 57, 3},  // 384*2/3 = 256 / 65 = 3
		{p80, 57, 5},  // 576*2/3 = 384 / 65 = 5
		{p58, 177, 1}, // version 40: never below 1
	} {
		if got := AutoQRModule(tt.p, tt.modules); got != tt.want {
			t.Errorf("AutoQRModule(%s, %d) = %d, want %d", tt.p.Name, tt.modules, got, tt.want)
		}
	}
}
