package receipt

import (
	"fmt"
	"strings"

	"github.com/stillpay/stillpay/hardware/escpos"
	"golang.org/x/text/unicode/norm"
)

// QRLevel is the error correction used for receipt QR codes: M survives the
// smudges of a thermal print without making the code much bigger.
const QRLevel = escpos.QRLevelM

// Text renders the receipt as plain UTF-8 text for a paper of the given
// columns, with nothing replaced: a preview. Use TextFor to see what a
// particular printer will print.
func (r Receipt) Text(columns int) string {
	return textOf(r.layout(columns, norm.NFC.String))
}

// TextFor renders the receipt as printer p prints it: characters its code
// pages lack are replaced exactly as the encoder replaces them. It equals
// the simulator's text for the bytes of ESCPOS(p).
func (r Receipt) TextFor(p escpos.Profile) string {
	return textOf(r.layout(p.Columns, func(s string) string { return escpos.MapText(p, s) }))
}

func textOf(rows []row) string {
	lines := make([]string, 0, len(rows))
	for _, rw := range rows {
		if rw.qr != "" {
			lines = append(lines, escpos.TextLine(escpos.Normal, escpos.QRText(rw.qr)))
			continue
		}
		style := rw.style
		if strings.TrimLeft(rw.content, " ") == "" {
			style = escpos.Normal // blank paper shows no style
		}
		lines = append(lines, escpos.TextLine(style, rw.content))
	}
	// Blank paper at the end is feed before the cut, not content.
	for len(lines) > 0 && lines[len(lines)-1] == escpos.TextLine(escpos.Normal, "") {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// ESCPOS renders the receipt to the bytes of one print job for printer p:
// init, the lines, then the cut (and the drawer kick if asked).
func (r Receipt) ESCPOS(p escpos.Profile) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e := escpos.NewEncoder(p).Init()
	cur := escpos.Normal
	for _, rw := range r.layout(p.Columns, func(s string) string { return escpos.MapText(p, s) }) {
		if rw.qr != "" {
			module, level := 0, QRLevel
			if rw.phone {
				size, err := escpos.SizePhoneQR(p, rw.qr)
				if err != nil {
					return nil, fmt.Errorf("receipt: %w", err)
				}
				module, level = size.Module, size.Level
			}
			e.Align(escpos.AlignCenter).QR(rw.qr, module, level).Align(escpos.AlignLeft)
			continue
		}
		if rw.style != cur {
			e.Style(rw.style)
			cur = rw.style
		}
		e.Line(strings.TrimRight(rw.content, " "))
	}
	if cur != escpos.Normal {
		e.Style(escpos.Normal)
	}
	e.Cut()
	if r.KickDrawer {
		e.KickDrawer(escpos.DrawerPin2, escpos.DefaultDrawerOnMs, escpos.DefaultDrawerOffMs)
	}
	if err := e.Err(); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	return e.Bytes(), nil
}
