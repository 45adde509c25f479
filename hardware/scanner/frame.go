package scanner

import (
	"context"
	"time"
)

// Frame is one barcode as read from a source.
type Frame struct {
	Data      []byte    // payload, AIM identifier and suffix removed
	Symbology string    // AIM symbology identifier such as "]Q1", or "" when the scanner sent none
	At        time.Time // when the frame was completed (suffix or gap seen)
}

// Source yields barcodes. It is implemented by *Scanner (serial scanners) and
// by the camera and image-file sources in hardware/imaging, so the terminal
// can take codes from either.
type Source interface {
	// Next blocks until a frame is available, ctx ends (ctx.Err()) or the
	// source is closed (ErrClosed).
	Next(ctx context.Context) (Frame, error)
	State() State
	Close() error
}

// State is the connection state of a Source.
type State int

// States a Source goes through. A Scanner starts Connecting, is Connected
// while the port is open, Disconnected right after an unplug, Reconnecting
// while it retries with backoff, and Closed after Close.
const (
	Connecting State = iota
	Connected
	Disconnected
	Reconnecting
	Closed
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case Reconnecting:
		return "reconnecting"
	case Closed:
		return "closed"
	}
	return "unknown"
}
