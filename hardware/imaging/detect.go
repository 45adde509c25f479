package imaging

import (
	"math"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// QR symbols are 21 to 177 modules wide, in steps of 4.
const (
	minDimension = 21
	maxDimension = 177
)

// dimensionCandidates are the offsets from the estimated symbol size that
// the tolerant detector tries, nearest first.
var dimensionCandidates = []int{0, 4, -4, 8, -8}

// alignmentAllowances are the search radii, in modules, for the bottom-right
// alignment pattern, widest last (perspective moves it furthest).
var alignmentAllowances = []float64{4, 8, 16}

// decodeTolerant is a second detector for when gozxing's own gives up. The
// stock detector estimates the symbol size from finder-pattern distances and
// module size and fails outright ("dimension = 63") when blur, noise or
// perspective push the estimate off by a module or two, which happens to
// large symbols (a 400-character stillpay code is version 12, 65 modules).
// This one reuses gozxing's finder, alignment and sampling steps but tries
// the nearest valid sizes in turn and lets Reed-Solomon pick the right one.
//
// tl, tr, bl are the finder patterns gozxing chose, or selectTilted's choice when gozxing refused
// them.
func decodeTolerant(bits *gozxing.BitMatrix, tl, tr, bl *detector.FinderPattern) (Result, error) {
	moduleSize := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if moduleSize < 1 {
		return Result{}, classify(gozxing.NewNotFoundException("module size %v", moduleSize))
	}
	est := (gozxing.ResultPoint_Distance(tl, tr)+gozxing.ResultPoint_Distance(tl, bl))/(2*moduleSize) + 7
	base := minDimension + 4*int(math.Round((est-minDimension)/4))
	lastErr := classify(gozxing.NewNotFoundException("no dimension fits"))
	for _, off := range dimensionCandidates {
		dim := base + off
		if dim < minDimension || dim > maxDimension {
			continue
		}
		res, err := sampleAndDecode(bits, tl, tr, bl, moduleSize, dim)
		if err == nil {
			return res, nil
		}
		lastErr = err
	}
	return Result{}, lastErr
}

func sampleAndDecode(bits *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, moduleSize float64, dim int) (Result, error) {
	version, err := decoder.Version_GetProvisionalVersionForDimension(dim)
	if err != nil {
		return Result{}, classify(gozxing.WrapFormatException(err))
	}
	var align *detector.AlignmentPattern
	if len(version.GetAlignmentPatternCenters()) > 0 {
		align = findAlignment(bits, tl, tr, bl, moduleSize, dim)
	}
	transform := detector.Detector_createTransform(tl, tr, bl, align, dim)
	sampled, err := detector.Detector_sampleGrid(bits, transform, dim)
	if err != nil {
		return Result{}, classify(gozxing.WrapNotFoundException(err))
	}
	out, err := decoder.NewDecoder().Decode(sampled, decodeHints)
	if err != nil {
		return Result{}, classify(err)
	}
	return Result{Text: out.GetText(), Symbology: "]Q" + strconv.Itoa(out.GetSymbologyModifier())}, nil
}

// findAlignment looks for the bottom-right alignment pattern where a symbol
// of size dim would have it, as gozxing's detector does.
func findAlignment(bits *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, moduleSize float64, dim int) *detector.AlignmentPattern {
	brX := tr.GetX() - tl.GetX() + bl.GetX()
	brY := tr.GetY() - tl.GetY() + bl.GetY()
	correction := 1 - 3/float64(dim-7)
	estX := tl.GetX() + correction*(brX-tl.GetX())
	estY := tl.GetY() + correction*(brY-tl.GetY())
	w, h := bits.GetWidth(), bits.GetHeight()
	for _, a := range alignmentAllowances {
		allowance := a * moduleSize
		left := max(0, int(estX-allowance))
		right := min(w-1, int(estX+allowance))
		top := max(0, int(estY-allowance))
		bottom := min(h-1, int(estY+allowance))
		if float64(right-left) < 3*moduleSize || float64(bottom-top) < 3*moduleSize {
			continue
		}
		p, err := detector.NewAlignmentPatternFinder(bits, left, top, right-left, bottom-top, moduleSize, nil).Find()
		if err == nil {
			return p
		}
	}
	return nil
}
