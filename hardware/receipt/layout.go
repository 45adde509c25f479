package receipt

import (
	"strings"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// row is one printed line after layout: text already wrapped, aligned and
// padded into the columns, or a QR code.
type row struct {
	style   escpos.Style
	content string // for text rows
	qr      string // for QR rows
	phone   bool   // a QR row sized for a phone camera
}

// layout turns the receipt into rows for a paper of the given columns.
// mapText is applied to every string first: the identity for a UTF-8
// preview, escpos.MapText for a printer profile, so that replacement
// characters (EUR for €) are measured as printed.
func (r Receipt) layout(columns int, mapText func(string) string) []row {
	var rows []row
	for _, l := range r.Lines {
		style := escpos.Normal
		style.Bold = l.Bold
		w := columns
		if l.DoubleSize {
			style.Width, style.Height = 2, 2
			w = columns / 2
		}
		w = max(w, 1)
		add := func(s string) { rows = append(rows, row{style: style, content: s}) }
		switch l.Kind {
		case KindText:
			for _, s := range wrap(mapText(l.Text), w) {
				add(align(s, w, l.Align))
			}
		case KindPair:
			for _, s := range pair(mapText(l.Text), mapText(l.Right), w) {
				add(s)
			}
		case KindRule:
			ch := mapText(l.Text)
			if escpos.StringCells(ch) == 0 {
				ch = "-"
			}
			add(fill(ch, w))
		case KindQR:
			rows = append(rows, row{style: escpos.Normal, qr: l.QR, phone: l.ForPhone})
		case KindFeed:
			for i := 0; i < max(l.N, 1); i++ {
				rows = append(rows, row{style: escpos.Normal})
			}
		}
	}
	return rows
}

// wrap breaks s into lines of at most w cells, at spaces where it can.
func wrap(s string, w int) []string {
	s = strings.TrimRight(s, " ")
	if escpos.StringCells(s) <= w {
		return []string{s}
	}
	var lines []string
	for escpos.StringCells(s) > w {
		cut, lastSpace, cells := 0, -1, 0
		for i, r := range s {
			c := escpos.RuneCells(r)
			if cells+c > w {
				cut = i
				if r == ' ' {
					lastSpace = i // the line ends exactly at a word
				}
				break
			}
			if r == ' ' {
				lastSpace = i
			}
			cells += c
		}
		if cut == 0 { // a single rune wider than the line
			_, size := firstRune(s)
			cut = size
		}
		if lastSpace > 0 {
			lines = append(lines, strings.TrimRight(s[:lastSpace], " "))
			s = strings.TrimLeft(s[lastSpace:], " ")
		} else {
			lines = append(lines, s[:cut])
			s = strings.TrimLeft(s[cut:], " ")
		}
	}
	if s != "" || len(lines) == 0 {
		lines = append(lines, s)
	}
	return lines
}

func firstRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}

func align(s string, w int, a Align) string {
	pad := w - escpos.StringCells(s)
	switch {
	case pad <= 0 || a == AlignLeft:
		return s
	case a == AlignCenter:
		return strings.Repeat(" ", pad/2) + s
	}
	return strings.Repeat(" ", pad) + s
}

// pair lays out left and right on the same line if they fit with one space
// between; otherwise left wraps and right goes on the last line of left or,
// failing that, on a line of its own.
func pair(left, right string, w int) []string {
	left = strings.TrimRight(left, " ")
	right = strings.TrimSpace(right)
	lc, rc := escpos.StringCells(left), escpos.StringCells(right)
	if right == "" {
		return wrap(left, w)
	}
	if lc+1+rc <= w {
		return []string{left + strings.Repeat(" ", w-lc-rc) + right}
	}
	lines := wrap(left, w)
	last := lines[len(lines)-1]
	if lcLast := escpos.StringCells(last); lcLast+1+rc <= w {
		lines[len(lines)-1] = last + strings.Repeat(" ", w-lcLast-rc) + right
		return lines
	}
	for _, s := range wrap(right, w) {
		lines = append(lines, align(s, w, AlignRight))
	}
	return lines
}

// fill repeats ch to exactly w cells (a wide ch may leave one cell short).
func fill(ch string, w int) string {
	var b strings.Builder
	cells := 0
	for {
		for _, r := range ch {
			c := escpos.RuneCells(r)
			if cells+c > w {
				return b.String()
			}
			b.WriteRune(r)
			cells += c
		}
		if cells == 0 {
			return b.String()
		}
	}
}
