package receipt

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidReceipt is returned (wrapped) for a receipt that cannot be
// rendered: an unknown line kind, an empty or oversized QR code, a negative
// feed.
var ErrInvalidReceipt = errors.New("invalid receipt")

// LineKind says how a Line is laid out.
type LineKind int

// Line kinds.
const (
	KindText LineKind = iota // Text, word-wrapped and aligned
	KindPair                 // Text on the left, Right on the right (item and price)
	KindRule                 // a full-width rule of Text (default "-")
	KindQR                   // a QR code of QR, centred
	KindFeed                 // N blank lines (at least one)
)

// Align is the alignment of a text line.
type Align int

// Alignments.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Line is one element of a receipt. Build lines with the helpers (Text,
// Pair, QR, ...) rather than by hand.
type Line struct {
	Kind       LineKind
	Text       string
	Right      string
	Align      Align
	Bold       bool
	DoubleSize bool // double width and height: half as many columns
	QR         string
	// ForPhone sizes the QR code for a phone camera (escpos.SizePhoneQR) instead of the receipt's
	// default: the code a customer scans off the paper.
	ForPhone bool
	N        int // blank lines for KindFeed
}

// Receipt is the description of one printed receipt.
type Receipt struct {
	Lines []Line
	// KickDrawer opens the cash drawer (pin 2) after printing.
	KickDrawer bool
}

// New returns a receipt of the given lines.
func New(lines ...Line) Receipt { return Receipt{Lines: lines} }

// Add appends lines.
func (r *Receipt) Add(lines ...Line) *Receipt {
	r.Lines = append(r.Lines, lines...)
	return r
}

// Text is a left-aligned, word-wrapped line of text.
func Text(s string) Line { return Line{Kind: KindText, Text: s} }

// Center is a centred line of text.
func Center(s string) Line { return Line{Kind: KindText, Text: s, Align: AlignCenter} }

// Right is a right-aligned line of text.
func Right(s string) Line { return Line{Kind: KindText, Text: s, Align: AlignRight} }

// Bold is a left-aligned bold line.
func Bold(s string) Line { return Line{Kind: KindText, Text: s, Bold: true} }

// Title is a centred, bold, double-size line: the shop name.
func Title(s string) Line {
	return Line{Kind: KindText, Text: s, Align: AlignCenter, Bold: true, DoubleSize: true}
}

// Pair puts left at the left margin and right at the right margin; a long
// left side wraps and the right side stays on its last line when it fits.
func Pair(left, right string) Line { return Line{Kind: KindPair, Text: left, Right: right} }

// Total is a bold pair, for the amount due.
func Total(left, right string) Line {
	return Line{Kind: KindPair, Text: left, Right: right, Bold: true}
}

// Rule is a full-width line of dashes.
func Rule() Line { return Line{Kind: KindRule, Text: "-"} }

// DoubleRule is a full-width line of equals signs.
func DoubleRule() Line { return Line{Kind: KindRule, Text: "="} }

// QR is a centred QR code.
func QR(content string) Line { return Line{Kind: KindQR, QR: content, Align: AlignCenter} }

// PhoneQR is a centred QR code sized for a phone camera to read off the paper: the largest module
// that fits, error correction Q or M (escpos.SizePhoneQR). Rendering fails with escpos.ErrQRTooLarge
// if the content is too long for the paper.
func PhoneQR(content string) Line {
	return Line{Kind: KindQR, QR: content, Align: AlignCenter, ForPhone: true}
}

// Feed is n blank lines.
func Feed(n int) Line { return Line{Kind: KindFeed, N: n} }

// Emphasized returns the line in bold.
func (l Line) Emphasized() Line { l.Bold = true; return l }

// Doubled returns the line in double size.
func (l Line) Doubled() Line { l.DoubleSize = true; return l }

// Centered returns the line centred.
func (l Line) Centered() Line { l.Align = AlignCenter; return l }

// Validate reports the first line that cannot be rendered.
func (r Receipt) Validate() error {
	for i, l := range r.Lines {
		if err := l.validate(); err != nil {
			return fmt.Errorf("receipt: line %d: %w", i+1, err)
		}
	}
	return nil
}

func (l Line) validate() error {
	switch l.Kind {
	case KindText, KindPair, KindRule:
	case KindQR:
		if l.QR == "" {
			return fmt.Errorf("%w: empty QR code", ErrInvalidReceipt)
		}
		if !utf8.ValidString(l.QR) {
			return fmt.Errorf("%w: QR content is not valid UTF-8", ErrInvalidReceipt)
		}
	case KindFeed:
		if l.N < 0 || l.N > maxFeed {
			return fmt.Errorf("%w: feed of %d lines (0..%d)", ErrInvalidReceipt, l.N, maxFeed)
		}
	default:
		return fmt.Errorf("%w: unknown line kind %d", ErrInvalidReceipt, l.Kind)
	}
	if l.Align < AlignLeft || l.Align > AlignRight {
		return fmt.Errorf("%w: unknown alignment %d", ErrInvalidReceipt, l.Align)
	}
	return nil
}

// maxFeed bounds a feed: more blank paper than this is a mistake.
const maxFeed = 50
