package imaging

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// maxTiltModuleRatio bounds how much larger one finder pattern may look than
// another. gozxing refuses triples whose module sizes differ by more than
// 1.4 ("module size is too different"), but a phone tilted 30° towards the
// camera brings one corner of the code much nearer than the opposite one
// (measured on gen's tilted scenes of the tuning seed).
const maxTiltModuleRatio = 2.2

// maxTiltDistortion bounds how far the three centres may be from an
// isosceles right triangle, as a share of the hypotenuse's square: under
// perspective they are not one, but a random triple of finder-like blobs is
// usually much further off.
const maxTiltDistortion = 0.6

// selectTilted picks the three finder patterns of a tilted code among the
// candidates gozxing found, when its own selection refused them for their
// differing sizes. It returns the points ordered bottom-left, top-left,
// top-right as gozxing orders them, or nil when no triple fits. Reed-Solomon
// and the format check decide afterwards whether the triple was right.
func selectTilted(centers []*detector.FinderPattern) (tl, tr, bl *detector.FinderPattern) {
	best := math.MaxFloat64
	var pick [3]*detector.FinderPattern
	n := len(centers)
	for i := 0; i < n-2; i++ {
		for j := i + 1; j < n-1; j++ {
			for k := j + 1; k < n; k++ {
				trio := [3]*detector.FinderPattern{centers[i], centers[j], centers[k]}
				lo, hi := math.MaxFloat64, 0.0
				for _, p := range trio {
					lo, hi = min(lo, p.GetEstimatedModuleSize()), max(hi, p.GetEstimatedModuleSize())
				}
				if lo <= 0 || hi > lo*maxTiltModuleRatio {
					continue
				}
				d := [3]float64{sq(trio[0], trio[1]), sq(trio[1], trio[2]), sq(trio[0], trio[2])}
				a, b, c := d[0], d[1], d[2]
				if a > c {
					a, c = c, a
				}
				if b > c {
					b, c = c, b
				}
				// c is the hypotenuse's square; a right isosceles triangle has
				// c = 2a = 2b.
				dist := (math.Abs(c-2*a) + math.Abs(c-2*b)) / c
				if dist < best {
					best, pick = dist, trio
				}
			}
		}
	}
	if pick[0] == nil || best > maxTiltDistortion {
		return nil, nil, nil
	}
	a, b, c := gozxing.ResultPoint_OrderBestPatterns(pick[0], pick[1], pick[2])
	return b.(*detector.FinderPattern), c.(*detector.FinderPattern), a.(*detector.FinderPattern)
}

func sq(a, b *detector.FinderPattern) float64 {
	dx, dy := a.GetX()-b.GetX(), a.GetY()-b.GetY()
	return dx*dx + dy*dy
}
