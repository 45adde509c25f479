package imaging

import "errors"

// Errors returned (wrapped) by Decode, DecodeFile and DecodeReader; test with
// errors.Is.
var (
	// ErrNoCode: no QR code was found in the image.
	ErrNoCode = errors.New("imaging: no QR code found")
	// ErrUnreadable: a QR code was located but could not be read (damaged,
	// blurred, too small, or cut off).
	ErrUnreadable = errors.New("imaging: QR code found but not readable")
	// ErrEmptyImage: the image (or the crop) has no pixels.
	ErrEmptyImage = errors.New("imaging: empty image or crop outside the image")
	// ErrBadImage: the bytes are not a PNG, JPEG or GIF image.
	ErrBadImage = errors.New("imaging: not a decodable image")
	// ErrImageTooLarge: the file or its pixel count exceeds the limits
	// (MaxFileBytes, MaxPixels), refused before decoding.
	ErrImageTooLarge = errors.New("imaging: image too large")
	// ErrDecoderFailed: the QR decoder failed in an unexpected way (it
	// panicked); the frame is skipped.
	ErrDecoderFailed = errors.New("imaging: QR decoder failed")
	// ErrBudget: Options.Budget was spent before a code was read.
	ErrBudget = errors.New("imaging: decode time budget spent")
)
