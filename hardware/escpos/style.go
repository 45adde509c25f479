package escpos

import (
	"strconv"
	"strings"
)

// Style is the character style a line was printed with.
type Style struct {
	Bold      bool
	Underline bool
	Width     int // 1..8 (GS !), 0 means 1
	Height    int // 1..8 (GS !), 0 means 1
}

// Normal is the default style after ESC @.
var Normal = Style{Width: 1, Height: 1}

// DoubleSize is the double-width, double-height style receipts use for
// titles and totals.
var DoubleSize = Style{Width: 2, Height: 2}

// Marker is the fixed four-character style column of the plain-text
// rendering: B (bold), U (underline), W (wider than normal), H (taller than
// normal), each in its own position or a space.
func (s Style) Marker() string {
	m := []byte("    ")
	if s.Bold {
		m[0] = 'B'
	}
	if s.Underline {
		m[1] = 'U'
	}
	if s.Width > 1 {
		m[2] = 'W'
	}
	if s.Height > 1 {
		m[3] = 'H'
	}
	return string(m)
}

// Union is the style that has every attribute of s and t; the text
// rendering marks a line with the union of the styles on it.
func (s Style) Union(t Style) Style {
	return Style{
		Bold:      s.Bold || t.Bold,
		Underline: s.Underline || t.Underline,
		Width:     max(s.Width, t.Width, 1),
		Height:    max(s.Height, t.Height, 1),
	}
}

// TextLine is one line of the plain-text rendering of a receipt: the style
// marker, a bar standing for the left edge of the paper, then the content
// with trailing spaces removed. Receipt previews and the printer simulator
// both write this form, so golden files compare them character for
// character.
func TextLine(s Style, content string) string {
	return strings.TrimRight(s.Marker()+"|"+content, " ")
}

// QRText is how a QR code appears in the plain-text rendering.
func QRText(content string) string { return "[QR " + content + "]" }

// ImageText is how an image that is not a readable QR code appears in the
// plain-text rendering.
func ImageText(widthDots, heightDots int) string {
	return "[image " + strconv.Itoa(widthDots) + "x" + strconv.Itoa(heightDots) + "]"
}
