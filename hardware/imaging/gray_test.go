package imaging

import (
	"math/rand/v2"
	"testing"
)

// TestBoxFilter3 compares the filter with the plain definition: the rounded mean of the 3×3
// pixels around each one, edges clamped. Sizes down to 1×1, where every neighbour is the pixel.
func TestBoxFilter3(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{1, 1}, {1, 5}, {5, 1}, {2, 2}, {3, 7}, {64, 48}, {101, 33}} {
		w, h := size[0], size[1]
		g := grayImage{pix: make([]byte, w*h), w: w, h: h}
		for i := range g.pix {
			g.pix[i] = byte(r.IntN(256))
		}
		got := boxFilter3(g)
		for y := range h {
			for x := range w {
				var s int
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						s += int(g.pix[min(max(y+dy, 0), h-1)*w+min(max(x+dx, 0), w-1)])
					}
				}
				if want := byte((s + 4) / 9); got.pix[y*w+x] != want {
					t.Fatalf("%dx%d at (%d,%d): %d, want %d", w, h, x, y, got.pix[y*w+x], want)
				}
			}
		}
	}
}

// TestDownscaleMatchesDefinition compares downscale with the rounded mean of each output pixel's
// span of input pixels (columns ox·w/ow up to (ox+1)·w/ow, rows likewise), at the ratios the
// decoder uses (1280→640, 1280→960, 1920→1280) and odd ones.
func TestDownscaleMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ w, h, side int }{{128, 96, 64}, {128, 96, 96}, {192, 108, 128}, {97, 61, 40}, {50, 7, 13}, {3, 300, 100}} {
		g := grayImage{pix: make([]byte, c.w*c.h), w: c.w, h: c.h}
		for i := range g.pix {
			g.pix[i] = byte(r.IntN(256))
		}
		out := downscale(g, c.side)
		long := max(c.w, c.h)
		ow, oh := max(1, c.w*c.side/long), max(1, c.h*c.side/long)
		if out.w != ow || out.h != oh {
			t.Fatalf("%dx%d to %d: %dx%d, want %dx%d", c.w, c.h, c.side, out.w, out.h, ow, oh)
		}
		for oy := range oh {
			for ox := range ow {
				var sum, n int
				for y := oy * c.h / oh; y < (oy+1)*c.h/oh; y++ {
					for x := ox * c.w / ow; x < (ox+1)*c.w/ow; x++ {
						sum += int(g.pix[y*c.w+x])
						n++
					}
				}
				if want := byte((sum + n/2) / n); out.pix[oy*ow+ox] != want {
					t.Fatalf("%dx%d to %d at (%d,%d): %d, want %d", c.w, c.h, c.side, ox, oy, out.pix[oy*ow+ox], want)
				}
			}
		}
	}
}
