package simprinter

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stillpay/stillpay/hardware/escpos"
	"golang.org/x/text/unicode/norm"
)

// rendered is a page turned into the outputs of one receipt.
type rendered struct {
	text string
	png  []byte
	qrs  []string
}

// render produces the text (the golden-file form, see escpos.TextLine),
// the PNG and the QR contents of a page. QR codes sent as raster are read
// back from the pixels with gozxing, so a raster QR and a native one give
// the same text.
func render(p *page, dots int) (rendered, error) {
	var out rendered
	var lines []string
	blocks := mergeRasters(p.blocks)
	for _, b := range blocks {
		switch b.kind {
		case blockText:
			lines = append(lines, textLine(b))
		case blockFeed:
			for i := 0; i < b.lines; i++ {
				lines = append(lines, escpos.TextLine(escpos.Normal, ""))
			}
		case blockQR:
			out.qrs = append(out.qrs, b.qr)
			lines = append(lines, escpos.TextLine(escpos.Normal, escpos.QRText(b.qr)))
		case blockRaster:
			if s, ok := decodeQR(b.raster); ok {
				out.qrs = append(out.qrs, s)
				lines = append(lines, escpos.TextLine(escpos.Normal, escpos.QRText(s)))
			} else {
				lines = append(lines, escpos.TextLine(escpos.Normal, escpos.ImageText(b.raster.Width, b.raster.Height)))
			}
		case blockBarcode:
			lines = append(lines, escpos.TextLine(escpos.Normal, b.text))
		}
	}
	blank := escpos.TextLine(escpos.Normal, "")
	for len(lines) > 0 && lines[len(lines)-1] == blank {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > 0 {
		out.text = strings.Join(lines, "\n") + "\n"
	}
	img := drawPage(blocks, p.height, dots)
	var buf bytes.Buffer
	// Speed over size: a receipt PNG is a preview, written at every cut.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return out, err
	}
	out.png = buf.Bytes()
	return out, nil
}

// mergeRasters joins consecutive raster strips of the same position and
// width into one image: printers receive big images in strips (so as not to
// overflow their buffer) but print them as one.
func mergeRasters(in []block) []block {
	var out []block
	for _, b := range in {
		if b.kind == blockRaster && len(out) > 0 {
			prev := &out[len(out)-1]
			if prev.kind == blockRaster && prev.x == b.x && prev.raster.Width == b.raster.Width {
				merged := escpos.NewRaster(b.raster.Width, prev.raster.Height+b.raster.Height)
				copy(merged.Bits, prev.raster.Bits)
				copy(merged.Bits[len(prev.raster.Bits):], b.raster.Bits)
				prev.raster = merged
				prev.advance += b.advance
				continue
			}
		}
		out = append(out, b)
	}
	return out
}

// textLine renders a printed line: leading space for its alignment offset,
// then its characters, marked with the union of the styles of its visible
// characters (spaces carry no visible style).
func textLine(b block) string {
	style := escpos.Normal
	var sb strings.Builder
	if b.x > 0 && len(b.cells) > 0 {
		sb.WriteString(strings.Repeat(" ", b.x/max(b.cells[0].width/cellsOf(b.cells[0]), 1)))
	}
	for _, c := range b.cells {
		sb.WriteRune(c.r)
		if c.r != ' ' {
			style = style.Union(c.style)
		}
	}
	return escpos.TextLine(style, sb.String())
}

func cellsOf(c cell) int {
	if c.double {
		return 2
	}
	return 1
}

// decodeQR reads a QR code from a raster image, if there is one. A QR code sent as raster is a
// tightly cropped, axis-aligned symbol, which gozxing's PURE_BARCODE mode reads directly; its finder
// search alone misses about one clean symbol in 150, so it is only the fallback (for a raster that
// holds more than the symbol).
func decodeQR(r *escpos.Raster) (string, bool) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(r.Image())
	if err != nil {
		return "", false
	}
	for _, hints := range []map[gozxing.DecodeHintType]any{{gozxing.DecodeHintType_PURE_BARCODE: true}, nil} {
		if res, err := gzqr.NewQRCodeReader().Decode(bmp, hints); err == nil {
			return res.GetText(), true
		}
	}
	return "", false
}

// Margins of the PNG, in dots.
const (
	topMargin    = 8
	bottomMargin = 24
)

func drawPage(blocks []block, height, dots int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, dots, topMargin+height+bottomMargin))
	whiten(img.Pix)
	y := topMargin
	for _, b := range blocks {
		switch b.kind {
		case blockText:
			drawLine(img, b, y)
		case blockRaster, blockQR:
			for ry := 0; ry < b.raster.Height; ry++ {
				for rx := 0; rx < b.raster.Width; rx++ {
					if b.raster.At(rx, ry) {
						img.SetGray(b.x+rx, y+ry, black)
					}
				}
			}
		case blockBarcode:
			for i, c := range []byte(b.text) {
				for k := 0; k < 8; k++ {
					if c&(1<<k) != 0 {
						fill(img, b.x+(i*8+k)*2, y, 2, b.advance-8)
					}
				}
			}
		}
		y += b.advance
	}
	return img
}

var black = imageGray(0)

func drawLine(img *image.Gray, b block, y int) {
	height := 0
	for _, c := range b.cells {
		height = max(height, c.height)
	}
	x := b.x
	for _, c := range b.cells {
		top := y + height - c.height // characters sit on a common baseline
		drawCell(img, c, x, top)
		if c.style.Underline {
			fill(img, x, top+c.height-1, c.width, max(1, c.style.Height))
		}
		x += c.width
	}
}

// drawCell draws a 5x7 glyph scaled into the cell, or a box for what the
// font lacks (CJK, symbols). Accented letters are drawn as their base
// letter.
func drawCell(img *image.Gray, c cell, x, y int) {
	if c.r == ' ' {
		return
	}
	r := c.r
	if r > 0x7e {
		if base := []rune(norm.NFD.String(string(r))); len(base) > 0 && base[0] <= 0x7e {
			r = base[0]
		}
	}
	g, ok := glyph(r)
	if !ok || c.double {
		// outline box
		fill(img, x+1, y+1, c.width-2, 1)
		fill(img, x+1, y+c.height-2, c.width-2, 1)
		fill(img, x+1, y+1, 1, c.height-2)
		fill(img, x+c.width-2, y+1, 1, c.height-2)
		return
	}
	sx, sy := max(c.width/6, 1), max(c.height/8, 1)
	ox, oy := (c.width-5*sx)/2, (c.height-7*sy)/2
	for col := 0; col < 5; col++ {
		for row := 0; row < 7; row++ {
			if g[col]&(1<<row) == 0 {
				continue
			}
			w := sx
			if c.style.Bold {
				w++ // emphasis: the dot is struck one dot wider
			}
			fill(img, x+ox+col*sx, y+oy+row*sy, w, sy)
		}
	}
}

func fill(img *image.Gray, x, y, w, h int) {
	for yy := y; yy < y+h; yy++ {
		for xx := x; xx < x+w; xx++ {
			if image.Pt(xx, yy).In(img.Rect) {
				img.SetGray(xx, yy, black)
			}
		}
	}
}

func imageGray(v uint8) color.Gray { return color.Gray{Y: v} }

// whiten sets every pixel to white by doubling copies: a plain loop is
// slow on tall pages, especially under the race detector.
func whiten(pix []byte) {
	if len(pix) == 0 {
		return
	}
	pix[0] = 0xff
	for n := 1; n < len(pix); n *= 2 {
		copy(pix[n:], pix[:n])
	}
}
