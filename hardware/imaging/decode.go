package imaging

import (
	"errors"
	"fmt"
	"image"
	"strconv"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// DefaultMaxSide is the downscale target for the longer side of a frame.
const DefaultMaxSide = 640

// DefaultRetrySide is the longer side of the second pass that DefaultOptions
// makes when the downscaled one fails: a 1280×960 or 1920×1080 counter-camera
// frame is read again at full resolution, where a small or blurred code that
// the 640 px pass averaged away is still readable.
const DefaultRetrySide = 1920

// Options controls Decode. The zero Options means DefaultOptions().
type Options struct {
	// MaxSide downscales frames whose longer side is larger (default
	// DefaultMaxSide; negative keeps full resolution).
	MaxSide int
	// Crop limits decoding to this rectangle of the image (in image
	// coordinates) when it is not empty.
	Crop image.Rectangle
	// TryInverted also tries the light-on-dark version of the frame.
	TryInverted bool
	// RetrySide, when the frame was downscaled and that pass found no
	// readable code, decodes it again with the longer side at most RetrySide
	// (the frame's own resolution if smaller). 0: no second pass.
	RetrySide int
	// Budget bounds the time one Decode spends: no new attempt (stage,
	// polarity or pass) starts after it is spent. 0: no bound. A frame
	// that runs out of budget fails with the most telling error so far.
	Budget time.Duration
}

// DefaultOptions downscales to DefaultMaxSide, retries a downscaled frame
// that failed at up to DefaultRetrySide, does not crop and tries the
// inverted frame. It sets no time budget: callers that decode a stream of
// frames (the camera source) set one.
func DefaultOptions() Options {
	return Options{MaxSide: DefaultMaxSide, TryInverted: true, RetrySide: DefaultRetrySide}
}

// Result is a decoded QR code.
type Result struct {
	Text      string
	Symbology string // AIM identifier computed by gozxing: "]Q1" plain, "]Q2" ECI, "]Q3" GS1 ...
	Inverted  bool   // the code was light on dark
	Retried   bool   // read by the second, higher-resolution pass (Options.RetrySide)
}

// Decode finds and reads a QR code in img. It fails with ErrEmptyImage,
// ErrNoCode, ErrUnreadable or ErrDecoderFailed.
func Decode(img image.Image, opts Options) (Result, error) {
	if opts == (Options{}) {
		opts = DefaultOptions()
	}
	if img == nil {
		return Result{}, ErrEmptyImage
	}
	r := img.Bounds()
	if !opts.Crop.Empty() {
		r = r.Intersect(opts.Crop)
	}
	if r.Empty() {
		return Result{}, fmt.Errorf("%w: bounds %v, crop %v", ErrEmptyImage, img.Bounds(), opts.Crop)
	}
	maxSide := opts.MaxSide
	if maxSide == 0 {
		maxSide = DefaultMaxSide
	}
	var deadline time.Time
	if opts.Budget > 0 {
		deadline = time.Now().Add(opts.Budget)
	}
	fs := &frameState{tryInverted: opts.TryInverted, deadline: deadline}
	full := toGray(img, r)
	g := downscale(full, maxSide)
	res, err := fs.decodeGray(g)
	if err == nil || opts.RetrySide <= 0 || errors.Is(err, ErrBudget) {
		return res, err
	}
	// The first pass saw a smaller picture than the camera took: look again
	// at (up to) RetrySide, where a small code still has whole modules.
	retry := downscale(full, opts.RetrySide)
	if retry.w <= g.w {
		return res, err
	}
	// Then between the two: a code whose modules the first pass merged and whose blur or
	// perspective the full-resolution pass sampled badly is often read at a third pixel grid.
	mid := (max(g.w, g.h) + max(retry.w, retry.h)) / 2
	for _, side := range []int{opts.RetrySide, mid} {
		pass := retry
		if side != opts.RetrySide {
			pass = downscale(full, side)
		}
		if res, rerr := fs.decodeGray(pass); rerr == nil {
			res.Retried = true
			return res, nil
		} else if errors.Is(rerr, ErrBudget) {
			return res, rerr
		} else if errors.Is(rerr, ErrUnreadable) && !errors.Is(err, ErrUnreadable) {
			err = rerr
		}
	}
	return res, err
}

// stage is one way of turning luminance into black and white.
type stage struct {
	name      string
	smooth    bool // 3x3 box filter first: tames sensor noise and JPEG ringing
	histogram bool // global-histogram binarizer instead of the local (hybrid) one
}

// stages are tried in order until one reads the code. The first is what
// works on nearly every frame; the others only run when it fails, so they
// cost time on frames without a code, not on the usual frame.
var stages = []stage{
	{name: "hybrid"},
	{name: "smoothed", smooth: true},
	{name: "histogram", histogram: true},
}

// frameState is what one Decode learns about its frame across passes.
type frameState struct {
	tryInverted bool
	deadline    time.Time
	// darkOnLight: a pass found the three finder patterns of a dark-on-light code, so the
	// light-on-dark (inverted) attempts are not made any more. They cost a binarization and a
	// finder scan each, a third of a frame that fails every pass, and on the tuning corpus
	// (gen.TuningSeed) they never read a frame whose normal polarity had shown a finder triple:
	// dark-mode screens show no finder candidate at all until inverted (44 of 45) or one (1).
	darkOnLight bool
}

func (fs *frameState) decodeGray(g grayImage) (Result, error) {
	var firstErr error
	for _, st := range stages {
		img := g
		if st.smooth {
			img = boxFilter3(g)
		}
		for _, inverted := range []bool{false, true} {
			if inverted && (!fs.tryInverted || fs.darkOnLight) {
				continue
			}
			if !fs.deadline.IsZero() && time.Now().After(fs.deadline) {
				if firstErr == nil {
					return Result{}, ErrBudget
				}
				return Result{}, fmt.Errorf("%w; %w", ErrBudget, firstErr)
			}
			res, triple, err := decodeStage(img, st, inverted)
			if err == nil {
				res.Inverted = inverted
				return res, nil
			}
			if triple && !inverted {
				fs.darkOnLight = true
			}
			// Report the most telling failure: "found but unreadable"
			// beats "not found".
			if firstErr == nil || (errors.Is(err, ErrUnreadable) && !errors.Is(firstErr, ErrUnreadable)) {
				firstErr = err
			}
		}
	}
	return Result{}, firstErr
}

// decodeHints: TRY_HARDER makes the finder-pattern search scan every row,
// which finds small codes in a wide frame for little extra time.
var decodeHints = map[gozxing.DecodeHintType]interface{}{
	gozxing.DecodeHintType_TRY_HARDER: true,
}

// decodeStage binarizes once and looks for finder patterns once, then reads the symbol with
// gozxing's detector and, when that fails, with the tolerant one, both from the same patterns
// (gozxing's QRCodeReader and decodeTolerant each ran the finder scan on their own). triple
// reports whether the bits showed three finder patterns of one code (gozxing's choice, or
// selectTilted's when gozxing refused them).
func decodeStage(g grayImage, st stage, inverted bool) (res Result, triple bool, err error) {
	// gozxing is a port of Java code that indexes slices freely; a malformed
	// frame must cost one frame, never the agent.
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, fmt.Errorf("%w: panic: %v", ErrDecoderFailed, p)
		}
	}()
	bits, err := binarize(g, st.histogram, inverted)
	if err != nil {
		return Result{}, false, classify(err)
	}
	finder := detector.NewFinderPatternFinder(bits, nil)
	info, ferr := finder.Find(decodeHints)
	var tl, tr, bl *detector.FinderPattern
	var stockErr error
	if ferr != nil {
		stockErr = classify(ferr)
		if tl, tr, bl = selectTilted(finder.GetPossibleCenters()); tl == nil {
			return Result{}, false, stockErr
		}
	} else if dr, err := detector.NewDetector(bits).ProcessFinderPatternInfo(info); err != nil {
		stockErr = classify(err)
	} else if out, err := decoder.NewDecoder().Decode(dr.GetBits(), decodeHints); err != nil {
		stockErr = classify(err)
	} else {
		return Result{Text: out.GetText(), Symbology: "]Q" + strconv.Itoa(out.GetSymbologyModifier())}, true, nil
	}
	if info != nil {
		tl, tr, bl = info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	}
	res, err = decodeTolerant(bits, tl, tr, bl)
	if err != nil {
		// Report the most telling failure: "found but unreadable" beats "not found".
		if errors.Is(err, ErrUnreadable) && !errors.Is(stockErr, ErrUnreadable) {
			return Result{}, true, err
		}
		return Result{}, true, stockErr
	}
	return res, true, nil
}

func classify(err error) error {
	switch err.(type) {
	case gozxing.NotFoundException:
		return fmt.Errorf("%w (%v)", ErrNoCode, err)
	case gozxing.ChecksumException, gozxing.FormatException:
		return fmt.Errorf("%w (%v)", ErrUnreadable, err)
	}
	return fmt.Errorf("%w: %v", ErrDecoderFailed, err)
}
