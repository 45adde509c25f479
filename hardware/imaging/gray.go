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
//
// When the luminance is already stored row after row without padding (a JPEG's Y plane, an
// image.Gray), the frame's own buffer is used, not a copy: a 1280×960 copy cost about as much CPU
// as a whole decode attempt on the shared machine, and nothing writes to a grayImage's pixels.
func toGray(img image.Image, r image.Rectangle) grayImage {
	w, h := r.Dx(), r.Dy()
	switch src := img.(type) {
	case *image.Gray:
		if src.Stride == w {
			off := src.PixOffset(r.Min.X, r.Min.Y)
			return grayImage{pix: src.Pix[off : off+w*h : off+w*h], w: w, h: h}
		}
	case *image.YCbCr:
		if src.YStride == w {
			off := src.YOffset(r.Min.X, r.Min.Y)
			return grayImage{pix: src.Y[off : off+w*h : off+w*h], w: w, h: h}
		}
	}
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
	// Column spans are the same for every row: compute them once, and which output column each
	// input column adds to, so that the inner loop is one add per pixel.
	x0s := make([]int, ow+1)
	for ox := 0; ox <= ow; ox++ {
		x0s[ox] = ox * g.w / ow
	}
	colOf := make([]int32, g.w)
	for ox := 0; ox < ow; ox++ {
		for x := x0s[ox]; x < x0s[ox+1]; x++ {
			colOf[x] = int32(ox)
		}
	}
	sums := make([]uint32, ow)
	for oy := 0; oy < oh; oy++ {
		y0, y1 := oy*g.h/oh, (oy+1)*g.h/oh
		clear(sums)
		for y := y0; y < y1; y++ {
			row := g.pix[y*g.w : (y+1)*g.w]
			cols := colOf[:len(row)]
			for x, v := range row {
				sums[cols[x]] += uint32(v)
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
	w := g.w
	out := grayImage{pix: make([]byte, len(g.pix)), w: w, h: g.h}
	// Horizontal sums of rows y-1, y and y+1, each row summed once.
	sums := make([]uint16, w*3)
	above, here, below := sums[:w], sums[w:2*w], sums[2*w:]
	hsum := func(y int, dst []uint16) {
		row := g.pix[y*w : (y+1)*w]
		if w == 1 {
			dst[0] = 3 * uint16(row[0])
			return
		}
		dst[0] = 2*uint16(row[0]) + uint16(row[1])
		for x := 1; x < w-1; x++ {
			dst[x] = uint16(row[x-1]) + uint16(row[x]) + uint16(row[x+1])
		}
		dst[w-1] = uint16(row[w-2]) + 2*uint16(row[w-1])
	}
	hsum(0, above)
	copy(here, above)
	for y := 0; y < g.h; y++ {
		hsum(min(y+1, g.h-1), below)
		dst := out.pix[y*w : (y+1)*w]
		for x := range dst {
			s := uint32(above[x]) + uint32(here[x]) + uint32(below[x])
			dst[x] = byte((s + 4) / 9)
		}
		above, here, below = here, below, above
	}
	return out
}
