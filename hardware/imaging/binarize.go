package imaging

import (
	"github.com/makiuchi-d/gozxing"
)

// binarize turns g (or its inverse, light-on-dark) into gozxing's black-and-white matrix with
// gozxing's own hybrid (local) or global-histogram algorithm, bit for bit, but straight from the
// luminance buffer. gozxing's binarizers go through a LuminanceSource (the inverted one copies
// the frame), keep per-block rows of [][]int and set one bit per call; on a 1280×960 frame that
// was most of a failed attempt's time, and a frame that fails runs eighteen of them.
func binarize(g grayImage, histogram, inverted bool) (*gozxing.BitMatrix, error) {
	if histogram || g.w < hybridMinDimension || g.h < hybridMinDimension {
		// gozxing's hybrid binarizer falls back to the global one on small images.
		return binarizeGlobal(g, inverted)
	}
	return binarizeHybrid(g, inverted), nil
}

// The hybrid binarizer's constants (gozxing.BLOCK_SIZE and friends).
const (
	hybridBlockPower   = 3
	hybridBlock        = 1 << hybridBlockPower
	hybridMinDimension = hybridBlock * 5
	hybridMinRange     = 24
)

// binarizeHybrid is gozxing's HybridBinarizer: a black point per 8×8 block (its mean, or an
// estimate from its neighbours when the block is flat), then each block thresholded at the mean
// of the 5×5 blocks around it. The last block of a row or column overlaps its neighbour when the
// side is not a multiple of 8, and a pixel there is black when either block says so, as in gozxing.
// The inverse frame is never built: its block statistics and its comparison follow from the
// frame's own (255−v ≤ t ⇔ v ≥ 255−t).
func binarizeHybrid(g grayImage, inverted bool) *gozxing.BitMatrix {
	w, h := g.w, g.h
	subW := (w + hybridBlock - 1) >> hybridBlockPower
	subH := (h + hybridBlock - 1) >> hybridBlockPower
	maxX, maxY := w-hybridBlock, h-hybridBlock
	points := make([]int, subW*subH)
	for by := 0; by < subH; by++ {
		yoff := min(by<<hybridBlockPower, maxY)
		for bx := 0; bx < subW; bx++ {
			xoff := min(bx<<hybridBlockPower, maxX)
			sum, lo, hi := 0, 255, 0
			for yy := 0; yy < hybridBlock; yy++ {
				off := (yoff+yy)*w + xoff
				s, l, h := row8Stats((*[hybridBlock]byte)(g.pix[off : off+hybridBlock]))
				sum, lo, hi = sum+s, min(lo, l), max(hi, h)
			}
			if inverted {
				sum, lo, hi = 255*hybridBlock*hybridBlock-sum, 255-hi, 255-lo
			}
			avg := sum >> (2 * hybridBlockPower)
			if hi-lo <= hybridMinRange {
				// A flat block: light background unless its neighbours say it is dark.
				avg = lo / 2
				if by > 0 && bx > 0 {
					nb := (points[(by-1)*subW+bx] + 2*points[by*subW+bx-1] + points[(by-1)*subW+bx-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			points[by*subW+bx] = avg
		}
	}
	rowWords := (w + 31) / 32
	words := make([]uint32, rowWords*h)
	for by := 0; by < subH; by++ {
		yoff := min(by<<hybridBlockPower, maxY)
		top := min(max(by, 2), subH-3)
		for bx := 0; bx < subW; bx++ {
			xoff := min(bx<<hybridBlockPower, maxX)
			left := min(max(bx, 2), subW-3)
			sum := 0
			for z := -2; z <= 2; z++ {
				row := points[(top+z)*subW+left-2 : (top+z)*subW+left+3]
				sum += row[0] + row[1] + row[2] + row[3] + row[4]
			}
			threshold := sum / 25
			for yy := 0; yy < hybridBlock; yy++ {
				off := (yoff+yy)*w + xoff
				m := blockMask((*[hybridBlock]byte)(g.pix[off:off+hybridBlock]), threshold, inverted)
				orBits(words[(yoff+yy)*rowWords:(yoff+yy+1)*rowWords], xoff, m)
			}
		}
	}
	return toBitMatrix(words, w, h)
}

// row8Stats returns the sum, minimum and maximum of 8 pixels, written out so that the compiler
// keeps them in registers without bounds checks.
func row8Stats(p *[hybridBlock]byte) (sum, lo, hi int) {
	a, b, c, d := int(p[0]), int(p[1]), int(p[2]), int(p[3])
	e, f, g, h := int(p[4]), int(p[5]), int(p[6]), int(p[7])
	sum = a + b + c + d + e + f + g + h
	lo = min(min(min(a, b), min(c, d)), min(min(e, f), min(g, h)))
	hi = max(max(max(a, b), max(c, d)), max(max(e, f), max(g, h)))
	return sum, lo, hi
}

// blockMask returns bit x set for each of the 8 pixels that is black at threshold t: v ≤ t, or
// for the inverse frame 255−v ≤ t. Branch-free: a camera frame's bits are as good as random.
func blockMask(p *[hybridBlock]byte, t int, inverted bool) uint64 {
	if inverted {
		t = 255 - t // black: v ≥ t, i.e. t−v−1 < 0
		return uint64(t-int(p[0])-1)>>63 | uint64(t-int(p[1])-1)>>63<<1 |
			uint64(t-int(p[2])-1)>>63<<2 | uint64(t-int(p[3])-1)>>63<<3 |
			uint64(t-int(p[4])-1)>>63<<4 | uint64(t-int(p[5])-1)>>63<<5 |
			uint64(t-int(p[6])-1)>>63<<6 | uint64(t-int(p[7])-1)>>63<<7
	}
	// black: v ≤ t, i.e. v−t−1 < 0
	return uint64(int(p[0])-t-1)>>63 | uint64(int(p[1])-t-1)>>63<<1 |
		uint64(int(p[2])-t-1)>>63<<2 | uint64(int(p[3])-t-1)>>63<<3 |
		uint64(int(p[4])-t-1)>>63<<4 | uint64(int(p[5])-t-1)>>63<<5 |
		uint64(int(p[6])-t-1)>>63<<6 | uint64(int(p[7])-t-1)>>63<<7
}

// orBits sets the bits of m (at most 8) in row from bit x on.
func orBits(row []uint32, x int, m uint64) {
	if m == 0 {
		return
	}
	shifted := m << (x % 32)
	row[x/32] |= uint32(shifted)
	if hi := uint32(shifted >> 32); hi != 0 {
		row[x/32+1] |= hi
	}
}

// binarizeGlobal is gozxing's GlobalHistogramBinarizer.GetBlackMatrix: one black point for the
// frame from a 32-bucket histogram of four rows' middle three fifths.
func binarizeGlobal(g grayImage, inverted bool) (*gozxing.BitMatrix, error) {
	w, h := g.w, g.h
	var buckets [32]int
	for y := 1; y < 5; y++ {
		off := (h * y / 5) * w
		for x := w / 5; x < w*4/5; x++ {
			v := int(g.pix[off+x])
			if inverted {
				v = 255 - v
			}
			buckets[v>>3]++
		}
	}
	black, err := estimateBlackPoint(buckets[:])
	if err != nil {
		return nil, err
	}
	// Black: v < black, or for the inverse frame 255−v < black, i.e. v > 255−black.
	var isBlack [256]uint32
	for v := range isBlack {
		if (!inverted && v < black) || (inverted && 255-v < black) {
			isBlack[v] = 1
		}
	}
	rowWords := (w + 31) / 32
	words := make([]uint32, rowWords*h)
	for y := 0; y < h; y++ {
		row := words[y*rowWords : (y+1)*rowWords]
		pix := g.pix[y*w : (y+1)*w]
		for i := range row {
			var word uint32
			for x, v := range pix[i*32 : min((i+1)*32, w)] {
				word |= isBlack[v] << x
			}
			row[i] = word
		}
	}
	return toBitMatrix(words, w, h), nil
}

// estimateBlackPoint is gozxing's GlobalHistogramBinarizer.estimateBlackPoint: the lowest valley
// between the two main peaks, nearer the light one; NotFound when there is too little contrast.
func estimateBlackPoint(buckets []int) (int, error) {
	n := len(buckets)
	maxCount, first, firstSize := 0, 0, 0
	for x, c := range buckets {
		if c > firstSize {
			first, firstSize = x, c
		}
		maxCount = max(maxCount, c)
	}
	second, secondScore := 0, 0
	for x, c := range buckets {
		d := x - first
		if score := c * d * d; score > secondScore {
			second, secondScore = x, score
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= n/16 {
		return 0, gozxing.NewNotFoundException()
	}
	valley, valleyScore := second-1, -1
	for x := second - 1; x > first; x-- {
		from := x - first
		if score := from * from * (second - x) * (maxCount - buckets[x]); score > valleyScore {
			valley, valleyScore = x, score
		}
	}
	return valley << 3, nil
}

// toBitMatrix copies rows of 32-bit words into a gozxing.BitMatrix, whose storage is unexported
// (SetRow copies a BitArray's words).
func toBitMatrix(words []uint32, w, h int) *gozxing.BitMatrix {
	m, _ := gozxing.NewBitMatrix(w, h) // w, h ≥ 1: the caller's frame is not empty
	rowWords := (w + 31) / 32
	row := gozxing.NewBitArray(w)
	dst := row.GetBitArray()
	for y := 0; y < h; y++ {
		copy(dst, words[y*rowWords:(y+1)*rowWords])
		m.SetRow(y, row)
	}
	return m
}
