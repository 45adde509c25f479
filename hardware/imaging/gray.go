package imaging

import (
	"image"
	"image/color"
)

// grayImage is an 8-bit luminance buffer, the form gozxing consumes.
type grayImage struct {
	pix  []byte
	w, h int
}

// toGray converts the part r of img to luminance. Camera frames arrive as
// YCbCr (the Y plane is used directly) or RGBA; other types go through the
// slow generic path.
func toGray(img image.Image, r image.Rectangle) grayImage {
	w, h := r.Dx(), r.Dy()
	g := grayImage{pix: make([]byte, w*h), w: w, h: h}
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			off := src.PixOffset(r.Min.X, r.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], src.Pix[off:off+w])
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			off := src.YOffset(r.Min.X, r.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], src.Y[off:off+w])
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			off := src.PixOffset(r.Min.X, r.Min.Y+y)
			row := src.Pix[off : off+4*w]
			for x := 0; x < w; x++ {
				g.pix[y*w+x] = luma(row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			off := src.PixOffset(r.Min.X, r.Min.Y+y)
			row := src.Pix[off : off+4*w]
			for x := 0; x < w; x++ {
				// Transparent pixels count as white paper, not black.
				a := uint32(row[4*x+3])
				l := uint32(luma(row[4*x], row[4*x+1], row[4*x+2]))
				g.pix[y*w+x] = byte((l*a + 255*(255-a)) / 255)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray)
				g.pix[y*w+x] = c.Y
			}
		}
	}
	return g
}

// luma is ITU-R BT.601 luminance in fixed point, as color.GrayModel does.
func luma(r, g, b byte) byte {
	return byte((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// downscale shrinks g by area averaging so that its longer side is at most
// maxSide. Area averaging, unlike nearest-neighbour, keeps thin QR modules
// as grey instead of dropping them.
func downscale(g grayImage, maxSide int) grayImage {
	long := max(g.w, g.h)
	if maxSide <= 0 || long <= maxSide {
		return g
	}
	ow := max(1, g.w*maxSide/long)
	oh := max(1, g.h*maxSide/long)
	out := grayImage{pix: make([]byte, ow*oh), w: ow, h: oh}
	// Column spans are the same for every row: compute them once.
	x0s := make([]int, ow+1)
	for ox := 0; ox <= ow; ox++ {
		x0s[ox] = ox * g.w / ow
	}
	sums := make([]uint32, ow)
	for oy := 0; oy < oh; oy++ {
		y0, y1 := oy*g.h/oh, (oy+1)*g.h/oh
		clear(sums)
		for y := y0; y < y1; y++ {
			row := g.pix[y*g.w : (y+1)*g.w]
			for ox := 0; ox < ow; ox++ {
				for _, v := range row[x0s[ox]:x0s[ox+1]] {
					sums[ox] += uint32(v)
				}
			}
		}
		for ox := 0; ox < ow; ox++ {
			n := uint32((x0s[ox+1] - x0s[ox]) * (y1 - y0))
			out.pix[oy*ow+ox] = byte((sums[ox] + n/2) / n)
		}
	}
	return out
}

// boxFilter3 is a 3x3 mean filter (edges clamp). It removes pixel noise
// that breaks the finder-pattern run-length checks while keeping modules of
// 3 px and more.
func boxFilter3(g grayImage) grayImage {
	out := grayImage{pix: make([]byte, len(g.pix)), w: g.w, h: g.h}
	rows := make([]uint16, g.w*3) // horizontal sums of the three rows around y
	hsum := func(y int, dst []uint16) {
		row := g.pix[y*g.w : (y+1)*g.w]
		for x := range row {
			l, r := max(x-1, 0), min(x+1, g.w-1)
			dst[x] = uint16(row[l]) + uint16(row[x]) + uint16(row[r])
		}
	}
	for y := 0; y < g.h; y++ {
		hsum(max(y-1, 0), rows[0:g.w])
		hsum(y, rows[g.w:2*g.w])
		hsum(min(y+1, g.h-1), rows[2*g.w:])
		for x := 0; x < g.w; x++ {
			s := uint32(rows[x]) + uint32(rows[g.w+x]) + uint32(rows[2*g.w+x])
			out.pix[y*g.w+x] = byte((s + 4) / 9)
		}
	}
	return out
}
