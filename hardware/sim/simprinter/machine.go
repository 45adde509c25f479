package simprinter

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// Bounds that keep one page (the paper between two cuts) finite even if the
// host never cuts.
const (
	maxPageHeight = 20_000  // dots, about 2.5 m of paper: a receipt is never that long
	maxPageRaw    = 8 << 20 // bytes of commands kept for the .bin file
	maxNotes      = 32      // skip reasons kept per page
	barcodeHeight = 80      // dots drawn for a 1D barcode
)

// cell is one character on a line.
type cell struct {
	r             rune
	style         escpos.Style
	width, height int // dots
	double        bool
}

type blockKind int

const (
	blockText blockKind = iota
	blockFeed
	blockRaster
	blockQR
	blockBarcode
)

// block is one horizontal band of the page.
type block struct {
	kind    blockKind
	cells   []cell
	x       int // left edge in dots
	advance int // paper movement in dots
	lines   int // blank lines it stands for in the text (feed)
	raster  *escpos.Raster
	qr      string
	text    string
}

// page is everything printed since the last cut.
type page struct {
	blocks      []block
	height      int
	raw         []byte
	notes       []string
	drawerKicks int
}

func (p *page) note(format string, args ...any) {
	if len(p.notes) < maxNotes {
		p.notes = append(p.notes, fmt.Sprintf(format, args...))
	}
}

func (p *page) add(b block) {
	p.blocks = append(p.blocks, b)
	p.height += b.advance
}

// machine interprets print commands the way a printer's firmware does and
// lays the result out on a page. It is not safe for concurrent use; the
// Printer serialises it.
type machine struct {
	profile escpos.Profile
	log     *slog.Logger
	dec     *escpos.TextDecoder

	style     escpos.Style
	fontB     bool
	align     int
	spacing   int
	line      []cell
	lineWidth int
	glyphs    []escpos.Glyph

	qrSize  int
	qrLevel escpos.QRLevel
	qrData  []byte

	page         *page
	linesPrinted int // lines of paper used, for the paper-length option
}

func newMachine(p escpos.Profile, log *slog.Logger) *machine {
	m := &machine{profile: p, log: log, dec: escpos.NewTextDecoder(p), page: &page{}}
	m.reset()
	return m
}

// reset is ESC @: modes back to power-on, line buffer cleared.
func (m *machine) reset() {
	m.dec.Reset()
	m.style = escpos.Normal
	m.fontB = false
	m.align = escpos.AlignLeft
	m.spacing = escpos.DefaultLineSpacing
	m.line, m.lineWidth = nil, 0
	m.qrSize, m.qrLevel, m.qrData = 3, escpos.QRLevelL, nil
}

// skip records why a command had no effect.
func (m *machine) skip(cmd escpos.Command, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	m.page.note("%s: %s", cmd.Op, reason)
	m.log.Warn("printer command skipped", "command", cmd.Op.String(), "reason", reason)
}

// exec runs one command. It returns the finished page when the command
// cut the paper (or the page grew past its bounds).
func (m *machine) exec(cmd escpos.Command) *page {
	if len(m.page.raw)+len(cmd.Raw) <= maxPageRaw {
		m.page.raw = append(m.page.raw, cmd.Raw...)
	}
	a := func(i int) byte {
		if i < len(cmd.Args) {
			return cmd.Args[i]
		}
		return 0
	}
	switch cmd.Op {
	case escpos.OpText:
		m.text(cmd.Data)
	case escpos.OpLF:
		m.printLine()
	case escpos.OpFF:
		if len(m.line) > 0 {
			m.printLine()
		}
	case escpos.OpHT:
		m.tab()
	case escpos.OpCR:
	case escpos.OpInit:
		m.reset()
	case escpos.OpPrintMode:
		n := a(0)
		m.fontB = n&0x01 != 0
		m.style = escpos.Style{Bold: n&0x08 != 0, Underline: n&0x80 != 0, Width: 1 + int(n>>5&1), Height: 1 + int(n>>4&1)}
	case escpos.OpBold:
		m.style.Bold = a(0)&1 != 0
	case escpos.OpUnderline:
		m.style.Underline = a(0)&3 != 0
	case escpos.OpSize:
		w, h := int(a(0)>>4)+1, int(a(0)&0x0f)+1
		if w > 8 || h > 8 {
			m.skip(cmd, "size %#02x out of range", a(0))
			break
		}
		m.style.Width, m.style.Height = w, h
	case escpos.OpAlign:
		switch n := a(0); n {
		case 0, 1, 2, 48, 49, 50:
			m.align = int(n % 48)
		default:
			m.skip(cmd, "alignment %d", n)
		}
	case escpos.OpCodePage:
		if !m.dec.SelectCodePage(a(0)) {
			m.skip(cmd, "code page %d is not on profile %s", a(0), m.profile.Name)
		}
	case escpos.OpKanjiOn, escpos.OpKanjiOff:
		if !m.dec.SetKanji(cmd.Op == escpos.OpKanjiOn) {
			m.skip(cmd, "profile %s has no CJK mode", m.profile.Name)
		}
	case escpos.OpFont:
		m.fontB = a(0)%48 == 1
	case escpos.OpFeedLines:
		for i := 0; i < int(a(0)); i++ {
			m.printLine()
		}
	case escpos.OpFeedDots:
		m.feedDots(int(a(0)))
	case escpos.OpLineSpacingDefault:
		m.spacing = escpos.DefaultLineSpacing
	case escpos.OpLineSpacing:
		m.spacing = int(a(0))
	case escpos.OpDrawerKick:
		m.page.drawerKicks++
		m.log.Info("cash drawer kicked", "pin", a(0))
	case escpos.OpCut:
		if !m.profile.Cutter {
			m.skip(cmd, "profile %s has no cutter", m.profile.Name)
			break
		}
		if len(m.line) > 0 {
			m.printLine()
		}
		return m.cut()
	case escpos.OpRaster:
		m.raster(cmd)
	case escpos.OpQR:
		m.qr(cmd)
	case escpos.OpBarcode:
		if len(m.line) > 0 {
			m.printLine()
		}
		m.page.add(block{kind: blockBarcode, advance: barcodeHeight, x: m.alignOffset(m.profile.Dots / 2),
			text: fmt.Sprintf("[barcode %d %s]", a(0), strings.ToValidUTF8(string(cmd.Data), "?"))})
	case escpos.OpIgnored:
		m.log.Debug("printer command ignored", "reason", cmd.Reason)
	case escpos.OpUnknown:
		m.page.note("%s", cmd.Reason)
		m.log.Warn("unknown printer command skipped", "reason", cmd.Reason)
	default:
		m.skip(cmd, "not handled by the print engine")
	}
	if m.page.height > maxPageHeight || len(m.page.raw) >= maxPageRaw {
		m.page.note("page limit reached without a cut")
		return m.cut()
	}
	return nil
}

// tear is the cashier tearing a receipt off a printer without a cutter: at
// the end of a job (the driver's GS r) or when the next job starts (ESC @).
// It returns the page if anything was printed on it.
func (m *machine) tear() *page {
	if m.profile.Cutter {
		return nil
	}
	if len(m.line) > 0 {
		m.printLine()
	}
	if len(m.page.blocks) == 0 {
		return nil
	}
	return m.cut()
}

func (m *machine) cut() *page {
	done := m.page
	m.page = &page{}
	return done
}

// cellSize is the dot size of one character in the current style.
func (m *machine) cellSize(double bool) (int, int) {
	w, h := escpos.FontAWidth, escpos.FontAHeight
	if m.fontB {
		w, h = 9, 17
	}
	if double {
		w = 2 * h * escpos.FontAWidth / escpos.FontAHeight // 24 dots for Font A
		if m.fontB {
			w = 2 * 9
		}
	}
	return w * max(m.style.Width, 1), h * max(m.style.Height, 1)
}

func (m *machine) text(data []byte) {
	m.glyphs = m.dec.Decode(m.glyphs[:0], data)
	for _, g := range m.glyphs {
		w, h := m.cellSize(g.Double)
		m.put(cell{r: g.Rune, style: m.style, width: w, height: h, double: g.Double})
	}
}

// put adds a cell, wrapping to a new line when the paper is full.
func (m *machine) put(c cell) {
	if m.lineWidth+c.width > m.profile.Dots && len(m.line) > 0 {
		m.printLine()
	}
	m.line = append(m.line, c)
	m.lineWidth += c.width
}

func (m *machine) tab() {
	w, h := m.cellSize(false)
	col := m.lineWidth / w
	next := (col/8 + 1) * 8
	for col < next && m.lineWidth+w <= m.profile.Dots {
		m.put(cell{r: ' ', style: m.style, width: w, height: h})
		col++
	}
}

func (m *machine) alignOffset(width int) int {
	switch m.align {
	case escpos.AlignCenter:
		return max((m.profile.Dots-width)/2, 0)
	case escpos.AlignRight:
		return max(m.profile.Dots-width, 0)
	}
	return 0
}

// printLine prints the line buffer (an empty one feeds a blank line).
func (m *machine) printLine() {
	height := 0
	for _, c := range m.line {
		height = max(height, c.height)
	}
	m.page.add(block{kind: blockText, cells: m.line, x: m.alignOffset(m.lineWidth), advance: max(m.spacing, height)})
	m.line, m.lineWidth = nil, 0
	m.linesPrinted++
}

func (m *machine) feedDots(n int) {
	printed := len(m.line) > 0
	if printed {
		m.printLine()
	}
	lines := n / max(m.spacing, 1)
	if printed {
		lines--
	}
	m.page.add(block{kind: blockFeed, advance: n, lines: max(lines, 0)})
}

func (m *machine) raster(cmd escpos.Command) {
	if len(m.line) > 0 {
		m.printLine()
	}
	mode := cmd.Args[0] % 48
	if mode > 3 {
		m.skip(cmd, "raster mode %d", cmd.Args[0])
		return
	}
	bpr := int(cmd.Args[1]) | int(cmd.Args[2])<<8
	rows := int(cmd.Args[3]) | int(cmd.Args[4])<<8
	sx, sy := 1+int(mode&1), 1+int(mode>>1&1)
	width := bpr * 8 * sx
	if width > m.profile.Dots {
		m.page.note("raster %d dots wide clipped to %d", width, m.profile.Dots)
		width = m.profile.Dots
	}
	if bpr == 0 || rows == 0 {
		m.skip(cmd, "empty raster")
		return
	}
	src := &escpos.Raster{Width: bpr * 8, Height: rows, Bits: cmd.Data}
	r := escpos.NewRaster(width, rows*sy)
	for y := 0; y < r.Height; y++ {
		for x := 0; x < r.Width; x++ {
			if src.At(x/sx, y/sy) {
				r.Set(x, y)
			}
		}
	}
	m.page.add(block{kind: blockRaster, raster: r, x: m.alignOffset(width), advance: r.Height})
}

// qr handles GS ( k for QR codes (cn 49); the other 2D symbologies are
// parsed but not drawn.
func (m *machine) qr(cmd escpos.Command) {
	d := cmd.Data
	if len(d) < 2 {
		m.skip(cmd, "too short")
		return
	}
	if d[0] != 49 {
		m.skip(cmd, "symbol type cn=%d not modelled (only QR, cn=49)", d[0])
		return
	}
	arg := func() byte {
		if len(d) > 2 {
			return d[2]
		}
		return 0
	}
	switch fn := d[1]; fn {
	case 65: // model
		if n := arg(); n != 49 && n != 50 {
			m.skip(cmd, "QR model %d not modelled", n)
		}
	case 67: // module size
		if n := int(arg()); n >= escpos.MinQRModule && n <= escpos.MaxQRModule {
			m.qrSize = n
		} else {
			m.skip(cmd, "QR module size %d", n)
		}
	case 69: // error correction
		if n := escpos.QRLevel(arg()); n >= escpos.QRLevelL && n <= escpos.QRLevelH {
			m.qrLevel = n
		} else {
			m.skip(cmd, "QR level %d", n)
		}
	case 80: // store
		if len(d) < 3 {
			m.skip(cmd, "QR store without data")
			return
		}
		m.qrData = append(m.qrData[:0], d[3:]...)
	case 81: // print
		m.printQR(cmd)
	default:
		m.skip(cmd, "QR function %d not modelled", fn)
	}
}

func (m *machine) printQR(cmd escpos.Command) {
	if len(m.line) > 0 {
		m.printLine()
	}
	if len(m.qrData) == 0 {
		m.skip(cmd, "QR print with no data stored")
		return
	}
	content := string(m.qrData)
	if !utf8.ValidString(content) {
		content = strings.ToValidUTF8(content, "?")
	}
	r, err := escpos.QRRasterFor(content, m.qrLevel, m.qrSize)
	if err != nil {
		m.skip(cmd, "QR cannot be drawn: %v", err)
		return
	}
	if r.Width > m.profile.Dots {
		m.skip(cmd, "QR %d dots wide does not fit %d", r.Width, m.profile.Dots)
		return
	}
	m.page.add(block{kind: blockQR, raster: r, qr: content, x: m.alignOffset(r.Width), advance: r.Height})
}
