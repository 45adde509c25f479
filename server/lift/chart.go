package lift

import (
	"fmt"
	"html"
	"strings"
)

// Chart draws the two arms' cumulative conversion over the campaign's days as a self-contained SVG
// (no scripts, no external references), for reports and docs/offers.md.
func Chart(title string, days []Day) []byte {
	const w, h, left, right, top, bottom = 640, 360, 60, 20, 40, 50
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	maxY := 0.0
	for _, d := range days {
		maxY = max(maxY, d.Treatment, d.Holdout)
	}
	maxY = niceCeil(maxY)
	n := max(len(days), 1)
	x := func(i int) float64 {
		if n == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return top + ph*(1-v/maxY) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14">%s</text>`+"\n", left, html.EscapeString(title))
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.1f%%</text>`+"\n",
			left, y(v), w-right, y(v), left-6, y(v)+4, v*100)
	}
	for i := range days {
		if n <= 15 || i%((n+14)/15) == 0 || i == n-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(i), h-bottom+18, days[i].Day)
		}
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">day of campaign</text>`+"\n", left+pw/2, h-12)
	for _, s := range []struct {
		name, color string
		v           func(Day) float64
	}{
		{"treatment", "#1f77b4", func(d Day) float64 { return d.Treatment }},
		{"holdout", "#ff7f0e", func(d Day) float64 { return d.Holdout }},
	} {
		var pts []string
		for i, d := range days {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(s.v(d))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`+"\n", s.color, strings.Join(pts, " "), s.name)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="3" fill="#1f77b4"/><text x="%d" y="%d">treatment</text>`+"\n", w-right-170, top+4, w-right-152, top+9)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="3" fill="#ff7f0e"/><text x="%d" y="%d">holdout</text>`+"\n", w-right-80, top+4, w-right-62, top+9)
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// niceCeil rounds a rate up to a readable axis maximum (at least 1%).
func niceCeil(v float64) float64 {
	for _, c := range []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1} {
		if v <= c {
			return c
		}
	}
	return 1
}
