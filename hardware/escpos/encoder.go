package escpos

import (
	"errors"
	"fmt"
	"image"
)

// Errors recorded by the Encoder (see Encoder.Err). They are wrapped with
// the detail; test with errors.Is.
var (
	ErrInvalidArgument = errors.New("invalid ESC/POS argument")
	ErrQRTooLarge      = errors.New("QR content too large")
	ErrImageTooWide    = errors.New("image wider than the paper")
	ErrNoDrawer        = errors.New("no cash drawer port")
)

// Encoder builds the bytes of one print job for one printer profile. Its
// methods chain; the first error sticks and is returned by Err, after which
// the Encoder ignores further calls, so a caller checks once at the end.
type Encoder struct {
	p     Profile
	buf   []byte
	page  int  // index in p.CodePages of the selected page; -1 = unknown
	kanji bool // Kanji (double-byte) mode on
	err   error
}

// NewEncoder returns an empty encoder for profile p. Call Init first: the
// encoder assumes nothing about the printer's state before it.
func NewEncoder(p Profile) *Encoder {
	return &Encoder{p: p, page: -1, buf: make([]byte, 0, 1024)}
}

// Profile returns the profile the encoder writes for.
func (e *Encoder) Profile() Profile { return e.p }

// Bytes returns the job so far. The slice aliases the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

// Err returns the first error recorded, or nil.
func (e *Encoder) Err() error { return e.err }

// Reset empties the buffer and forgets the error and the printer state.
func (e *Encoder) Reset() {
	e.buf = e.buf[:0]
	e.page = -1
	e.kanji = false
	e.err = nil
}

func (e *Encoder) fail(err error) *Encoder {
	if e.err == nil {
		e.err = err
	}
	return e
}

// Raw appends bytes as they are.
func (e *Encoder) Raw(b ...byte) *Encoder {
	if e.err == nil {
		e.buf = append(e.buf, b...)
	}
	return e
}

// Init resets the printer (ESC @) and puts it in a known text state: Kanji
// mode off on CJK firmware (FS .), which otherwise prints accented letters as
// Chinese characters, and the profile's first code page selected.
func (e *Encoder) Init() *Encoder {
	e.Raw(ESC, '@')
	if e.p.CJK {
		e.Raw(FS, '.')
		if e.p.CJKEncoding == "shift_jis" {
			e.Raw(FS, 'C', 1)
		}
	}
	e.kanji = false
	if len(e.p.CodePages) > 0 {
		e.Raw(ESC, 't', e.p.CodePages[0].Number)
		e.page = 0
	}
	return e
}

// Bold turns emphasis on or off (ESC E n).
func (e *Encoder) Bold(on bool) *Encoder { return e.Raw(ESC, 'E', b2b(on)) }

// Underline turns one-dot underline on or off (ESC - n).
func (e *Encoder) Underline(on bool) *Encoder { return e.Raw(ESC, '-', b2b(on)) }

// Size sets the character magnification, 1..8 each way (GS ! n).
func (e *Encoder) Size(w, h int) *Encoder {
	if w < 1 || w > 8 || h < 1 || h > 8 {
		return e.fail(fmt.Errorf("escpos: %w: character size %dx%d, want 1..8 each", ErrInvalidArgument, w, h))
	}
	return e.Raw(GS, '!', byte((w-1)<<4|(h-1)))
}

// Style sets bold, underline and size together.
func (e *Encoder) Style(s Style) *Encoder {
	return e.Bold(s.Bold).Underline(s.Underline).Size(max(s.Width, 1), max(s.Height, 1))
}

// Align sets the justification of the following lines, QR codes and images
// (ESC a n): AlignLeft, AlignCenter or AlignRight.
func (e *Encoder) Align(a int) *Encoder {
	if a < AlignLeft || a > AlignRight {
		return e.fail(fmt.Errorf("escpos: %w: alignment %d", ErrInvalidArgument, a))
	}
	return e.Raw(ESC, 'a', byte(a))
}

// Text appends s, mapped onto the profile's code pages (see MapText),
// switching page or Kanji mode as needed. It does not end the line.
func (e *Encoder) Text(s string) *Encoder {
	if e.err != nil {
		return e
	}
	for _, r := range MapText(e.p, s) {
		e.encodeRune(r)
	}
	return e
}

func (e *Encoder) encodeRune(r rune) {
	if r < 0x80 {
		e.buf = append(e.buf, byte(r))
		return
	}
	if b, ok := cjkBytes(e.p, r); ok {
		if !e.kanji {
			e.buf = append(e.buf, FS, '&')
			e.kanji = true
		}
		e.buf = append(e.buf, b...)
		return
	}
	if e.kanji {
		e.buf = append(e.buf, FS, '.')
		e.kanji = false
	}
	if e.page >= 0 {
		if c, ok := charmaps[e.p.CodePages[e.page].Name].EncodeRune(r); ok {
			e.buf = append(e.buf, c)
			return
		}
	}
	i := pageFor(e.p, r)
	if i < 0 { // MapText leaves no such rune; be safe anyway
		e.buf = append(e.buf, '?')
		return
	}
	c, _ := charmaps[e.p.CodePages[i].Name].EncodeRune(r)
	e.buf = append(e.buf, ESC, 't', e.p.CodePages[i].Number, c)
	e.page = i
}

// LF prints the line buffer and feeds one line.
func (e *Encoder) LF() *Encoder { return e.Raw(LF) }

// Line appends s and ends the line.
func (e *Encoder) Line(s string) *Encoder { return e.Text(s).LF() }

// Feed prints the line buffer and feeds n lines (ESC d n).
func (e *Encoder) Feed(n int) *Encoder {
	if n < 0 {
		return e.fail(fmt.Errorf("escpos: %w: feed %d lines", ErrInvalidArgument, n))
	}
	for n > 0 {
		step := min(n, 255)
		e.Raw(ESC, 'd', byte(step))
		n -= step
	}
	return e
}

// LineSpacing sets the line spacing in dots (ESC 3 n); 0 restores the
// default (ESC 2).
func (e *Encoder) LineSpacing(dots int) *Encoder {
	switch {
	case dots == 0:
		return e.Raw(ESC, '2')
	case dots < 0 || dots > 255:
		return e.fail(fmt.Errorf("escpos: %w: line spacing %d dots, want 0..255", ErrInvalidArgument, dots))
	}
	return e.Raw(ESC, '3', byte(dots))
}

// Cut feeds the paper to the cutter and cuts (GS V 66 0, partial, where the
// profile has it; GS V 65 0, full, otherwise). On a profile without a cutter
// it feeds the receipt past the tear bar (ESC d 3) and sends no cut.
func (e *Encoder) Cut() *Encoder {
	if !e.p.Cutter {
		return e.Feed(TearFeedLines)
	}
	if e.p.PartialCut {
		return e.Raw(GS, 'V', 66, 0)
	}
	return e.Raw(GS, 'V', 65, 0)
}

// TearFeedLines is the feed that brings the last line past the tear bar on a
// printer without a cutter.
const TearFeedLines = 3

// KickDrawer pulses a cash drawer pin (DrawerPin2 or DrawerPin5) with the
// given on and off times (ESC p m t1 t2; units of 2 ms, up to 510 ms).
func (e *Encoder) KickDrawer(pin int, on, off int) *Encoder {
	if pin != DrawerPin2 && pin != DrawerPin5 {
		return e.fail(fmt.Errorf("escpos: %w: drawer pin %d", ErrInvalidArgument, pin))
	}
	if !e.p.Drawer {
		return e.fail(fmt.Errorf("escpos: %w: profile %s has no cash drawer port", ErrNoDrawer, e.p.Name))
	}
	t1, t2 := clampPulse(on), clampPulse(off)
	return e.Raw(ESC, 'p', byte(pin), t1, t2)
}

// DefaultDrawerPulse are the usual drawer kick times in ms.
const (
	DefaultDrawerOnMs  = 100
	DefaultDrawerOffMs = 200
)

func clampPulse(ms int) byte { return byte(min(max(ms/2, 1), 255)) }

// Image prints img as raster (GS v 0), black where the luminance is below
// half, in strips of the profile's MaxStripRows so that no single command
// overflows a small receive buffer.
func (e *Encoder) Image(img image.Image) *Encoder {
	if e.err != nil {
		return e
	}
	r, err := RasterFromImage(img)
	if err != nil {
		return e.fail(err)
	}
	return e.Raster(r)
}

// Raster prints a 1-bit image in GS v 0 strips.
func (e *Encoder) Raster(r *Raster) *Encoder {
	if e.err != nil {
		return e
	}
	if r.Width > e.p.Dots {
		return e.fail(fmt.Errorf("escpos: %w: %d dots, paper %d", ErrImageTooWide, r.Width, e.p.Dots))
	}
	rows := max(e.p.MaxStripRows, 8)
	bpr := r.BytesPerRow()
	for y := 0; y < r.Height; y += rows {
		h := min(rows, r.Height-y)
		e.buf = append(e.buf, GS, 'v', '0', 0, byte(bpr), byte(bpr>>8), byte(h), byte(h>>8))
		e.buf = append(e.buf, r.Bits[y*bpr:(y+h)*bpr]...)
	}
	return e
}

func b2b(on bool) byte {
	if on {
		return 1
	}
	return 0
}
