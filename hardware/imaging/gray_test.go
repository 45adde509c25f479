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
