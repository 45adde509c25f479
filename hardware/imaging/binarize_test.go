package imaging

import (
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/stillpay/stillpay/hardware/imaging/internal/gen"
)

// TestBinarizeMatchesGozxing: binarize is a faster gozxing binarizer, not another one; the decode
// rates measured with gozxing's hold only if every bit is the same. Camera frames, noise, flat
// areas and sides that are not a multiple of the 8-pixel block (where blocks overlap), both
// polarities, both algorithms.
func TestBinarizeMatchesGozxing(t *testing.T) {
	var frames []grayImage
	for seed := range uint64(3) {
		img, _, err := gen.Frame640(seed + 1)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, toGray(img, img.Bounds()))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{45, 41}, {100, 37}, {39, 80}, {203, 157}, {8, 8}, {1, 1}, {333, 64}} {
		g := grayImage{pix: make([]byte, size[0]*size[1]), w: size[0], h: size[1]}
		for i := range g.pix {
			// Dark and light patches with noise, and flat runs that take the low-contrast branch.
			switch base := (i / 97) % 3; base {
			case 0:
				g.pix[i] = byte(200 + r.IntN(8))
			case 1:
				g.pix[i] = byte(20 + r.IntN(8))
			default:
				g.pix[i] = byte(r.IntN(256))
			}
		}
		frames = append(frames, g)
	}
	// A cut of a camera frame whose sides are not multiples of 8.
	f := frames[0]
	cut := grayImage{w: 637, h: 477}
	for y := range cut.h {
		cut.pix = append(cut.pix, f.pix[y*f.w:y*f.w+cut.w]...)
	}
	frames = append(frames, cut)

	for i, g := range frames {
		for _, histogram := range []bool{false, true} {
			for _, inverted := range []bool{false, true} {
				want, wantErr := gozxingBinarize(t, g, histogram, inverted)
				got, err := binarize(g, histogram, inverted)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("frame %d (%dx%d) histogram=%v inverted=%v: error %v, gozxing %v", i, g.w, g.h, histogram, inverted, err, wantErr)
				}
				if err != nil {
					continue
				}
				if d := diffBits(got, want); d >= 0 {
					t.Errorf("frame %d (%dx%d) histogram=%v inverted=%v: %d bits differ from gozxing's, first at row %d", i, g.w, g.h, histogram, inverted, countDiff(got, want), d)
				}
			}
		}
	}
}

func gozxingBinarize(t *testing.T, g grayImage, histogram, inverted bool) (*gozxing.BitMatrix, error) {
	t.Helper()
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		t.Fatal(err)
	}
	if inverted {
		src = gozxing.NewInvertedLuminanceSource(src)
	}
	if histogram {
		return gozxing.NewGlobalHistgramBinarizer(src).GetBlackMatrix()
	}
	return gozxing.NewHybridBinarizer(src).GetBlackMatrix()
}

// diffBits returns the first row where a and b differ, -1 when they are equal.
func diffBits(a, b *gozxing.BitMatrix) int {
	if a.GetWidth() != b.GetWidth() || a.GetHeight() != b.GetHeight() {
		return 0
	}
	for y := range a.GetHeight() {
		for x := range a.GetWidth() {
			if a.Get(x, y) != b.Get(x, y) {
				return y
			}
		}
	}
	return -1
}

func countDiff(a, b *gozxing.BitMatrix) int {
	n := 0
	for y := range min(a.GetHeight(), b.GetHeight()) {
		for x := range min(a.GetWidth(), b.GetWidth()) {
			if a.Get(x, y) != b.Get(x, y) {
				n++
			}
		}
	}
	return n
}
