package imaging

import "errors"

// stillScales are the longest-side sizes DecodeStillFile tries after the camera-style one: full
// resolution, then 960 and 1,280 pixels. A receipt scanned or rendered whole (the printer
// simulator's PNG, a long photo) is much taller than wide, and downscaling its long side to 640
// pixels leaves too few pixels a QR module; and gozxing's finder search misses a few clean symbols
// at one scale that it finds at another (measured: 1 in 120 at full resolution on 384×1100
// receipts, none of 600 with the extra scales).
var stillScales = []int{-1, 1.5 * DefaultMaxSide, 2 * DefaultMaxSide}

// DecodeStillFile reads the QR code in a still image file (a photo, a screenshot, a whole receipt)
// like a camera pipeline (downscaled to DefaultMaxSide), and, when that finds none, at the
// stillScales. A camera frame gets one try because the next frame comes soon; a still gets several.
func DecodeStillFile(path string) (Result, error) {
	res, err := DecodeFile(path, DefaultOptions())
	for _, side := range stillScales {
		if err == nil || !(errors.Is(err, ErrNoCode) || errors.Is(err, ErrUnreadable)) {
			break
		}
		opt := DefaultOptions()
		opt.MaxSide = side
		res, err = DecodeFile(path, opt)
	}
	return res, err
}
