package escpos

import (
	"errors"
	"fmt"
	"image"
)

// ErrBadImage is returned (wrapped) for an image that cannot be printed.
var ErrBadImage = errors.New("image cannot be printed")

// MaxRasterHeight is the tallest image accepted, in dots (about 2 m of paper
// at 203 dpi); a bound so that a bad image cannot exhaust memory.
const MaxRasterHeight = 16384

// MaxRasterWidth is the widest image accepted, in dots: far wider than any
// head (576 dots on 80 mm paper), a bound like MaxRasterHeight.
const MaxRasterWidth = 4096

// Raster is a 1-bit image in the row layout of GS v 0: rows of
// BytesPerRow bytes, most significant bit leftmost, 1 = black.
type Raster struct {
	Width, Height int
	Bits          []byte
}

// NewRaster returns a white raster.
func NewRaster(w, h int) *Raster {
	r := &Raster{Width: w, Height: h}
	r.Bits = make([]byte, r.BytesPerRow()*h)
	return r
}

// BytesPerRow is the row stride.
func (r *Raster) BytesPerRow() int { return (r.Width + 7) / 8 }

// Set blackens the dot at x, y.
func (r *Raster) Set(x, y int) {
	if x < 0 || y < 0 || x >= r.Width || y >= r.Height {
		return
	}
	r.Bits[y*r.BytesPerRow()+x/8] |= 0x80 >> (x % 8)
}

// At reports whether the dot at x, y is black.
func (r *Raster) At(x, y int) bool {
	if x < 0 || y < 0 || x >= r.Width || y >= r.Height {
		return false
	}
	return r.Bits[y*r.BytesPerRow()+x/8]&(0x80>>(x%8)) != 0
}

// RasterFromImage thresholds img at half luminance; transparent pixels are
// white.
func RasterFromImage(img image.Image) (*Raster, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dy() > MaxRasterHeight || b.Dx() > MaxRasterWidth {
		return nil, fmt.Errorf("escpos: %w: size %dx%d (max %dx%d)", ErrBadImage, b.Dx(), b.Dy(), MaxRasterWidth, MaxRasterHeight)
	}
	r := NewRaster(b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			if ca < 0x8000 {
				continue
			}
			// Rec. 601 luma on 16-bit channels.
			lum := (299*cr + 587*cg + 114*cb) / 1000
			if lum < 0x8000 {
				r.Set(x-b.Min.X, y-b.Min.Y)
			}
		}
	}
	return r, nil
}

// Image converts the raster to an image (black on white).
func (r *Raster) Image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, r.Width, r.Height))
	for y := 0; y < r.Height; y++ {
		for x := 0; x < r.Width; x++ {
			if r.At(x, y) {
				img.Pix[y*img.Stride+x] = 0
			} else {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img
}
