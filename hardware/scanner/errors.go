package scanner

import "errors"

// Reasons a Framer rejects bytes, and errors of the Scanner. Rejection.Reason
// wraps one of the first four; test with errors.Is.
var (
	// ErrFrameTooLong: more than MaxFrame bytes arrived without a suffix or
	// gap; the whole frame is discarded up to the next suffix or gap.
	ErrFrameTooLong = errors.New("scanner: frame longer than the limit")
	// ErrGarbage: the frame holds control bytes or invalid UTF-8 (line noise,
	// binary garbage, a wrong baud rate or parity).
	ErrGarbage = errors.New("scanner: frame is not text (noise or binary garbage)")
	// ErrEmptyPayload: the frame was only an AIM symbology identifier.
	ErrEmptyPayload = errors.New("scanner: frame has an AIM identifier but no data")
	// ErrHalfFrame: a partial frame was pending when the port went away; it
	// is dropped rather than glued to whatever arrives after a replug.
	ErrHalfFrame = errors.New("scanner: partial frame discarded at disconnect")

	// ErrClosed is returned by Next after Close.
	ErrClosed = errors.New("scanner: closed")
	// ErrInvalidConfig wraps configuration mistakes found by Config.Validate.
	ErrInvalidConfig = errors.New("scanner: invalid configuration")
)
