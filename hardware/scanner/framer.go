package scanner

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"
)

// DefaultMaxFrame bounds a frame: a QR code holds at most 2,953 bytes, plus
// room for an AIM identifier and a prefix.
const DefaultMaxFrame = 4096

// FramerConfig configures a Framer. The zero value splits on CR or LF, has no
// gap framing, strips AIM identifiers and accepts only text.
type FramerConfig struct {
	Suffix Suffix
	// Gap ends a frame when no byte arrives for this long; 0 disables gap
	// framing. Scanners whose suffix was reset to none still get framed.
	Gap time.Duration
	// MaxFrame bounds the bytes of one frame (default DefaultMaxFrame).
	MaxFrame int
	// KeepAIM leaves an AIM identifier in Data instead of moving it to
	// Frame.Symbology.
	KeepAIM bool
	// AllowBinary delivers frames with control bytes or invalid UTF-8
	// instead of rejecting them as noise.
	AllowBinary bool
	// OnReject, when set, is told about every rejected frame, so that the
	// driver can log the reason. It must not retain the Framer.
	OnReject func(Rejection)
	// OnSuffixMismatch, when set, is told when a frame that had to be ended
	// by the gap (or overflowed) held a line ending the configured Suffix does
	// not use: the scanner is programmed with seen, the config with another.
	OnSuffixMismatch func(seen Suffix)
}

// Rejection reports bytes a Framer dropped. It never carries the bytes
// themselves: scanned payment codes are secrets and rejections get logged.
type Rejection struct {
	Reason error     // wraps ErrFrameTooLong, ErrGarbage, ErrEmptyPayload or ErrHalfFrame
	Len    int       // number of bytes dropped
	At     time.Time // when the frame ended
}

// Framer turns a byte stream into frames. It does no I/O and reads no clock:
// callers pass the arrival time of each chunk, so the same input always
// gives the same frames, however it is chunked. A Framer is not safe for
// concurrent use.
type Framer struct {
	cfg        FramerConfig
	buf        []byte // pending frame, never longer than cfg.MaxFrame
	discarding bool   // the pending frame overflowed; drop until it ends
	dropped    int    // bytes of the overflowing frame
	pendingCR  bool   // SuffixCRLF: a CR that may start the terminator
	stray      byte   // a CR or LF inside the pending frame that did not end it
	lastAt     time.Time
	out        []Frame
}

// NewFramer returns a Framer for cfg.
func NewFramer(cfg FramerConfig) *Framer {
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	return &Framer{cfg: cfg, buf: make([]byte, 0, min(cfg.MaxFrame, 512))}
}

// Pending reports how many bytes of an unfinished frame are held.
func (f *Framer) Pending() int {
	n := len(f.buf)
	if f.discarding {
		n = f.dropped
	}
	if f.pendingCR {
		n++
	}
	return n
}

// Feed adds bytes that arrived at now and returns the frames they complete.
// When gap framing is on and more than Gap passed since the previous bytes,
// the pending frame is completed first. The returned slice and the Data in
// it are owned by the caller.
func (f *Framer) Feed(p []byte, now time.Time) []Frame {
	f.out = nil
	if f.gapElapsed(now) {
		f.endByGap(f.lastAt)
	}
	for _, b := range p {
		f.feedByte(b, now)
	}
	if len(p) > 0 {
		f.lastAt = now
	}
	return f.out
}

// Flush completes the pending frame if the gap has passed by now; call it
// when a read times out. It returns nil when gap framing is off.
func (f *Framer) Flush(now time.Time) []Frame {
	f.out = nil
	if f.gapElapsed(now) {
		f.endByGap(f.lastAt)
	}
	return f.out
}

// Reset drops a pending partial frame (reporting it as ErrHalfFrame) and
// returns the number of bytes dropped. The driver calls it when the port
// goes away, so the front of a barcode cut by an unplug is never glued to
// the bytes that arrive after a replug.
func (f *Framer) Reset(now time.Time) int {
	n := f.Pending()
	if n > 0 {
		f.reject(fmt.Errorf("%w (%d bytes)", ErrHalfFrame, n), n, now)
	}
	f.clear()
	return n
}

func (f *Framer) gapElapsed(now time.Time) bool {
	return f.cfg.Gap > 0 && f.Pending() > 0 && now.Sub(f.lastAt) >= f.cfg.Gap
}

func (f *Framer) feedByte(b byte, now time.Time) {
	switch f.cfg.Suffix {
	case SuffixCR:
		if b == '\r' {
			f.end(now)
			return
		}
	case SuffixLF:
		if b == '\n' {
			f.end(now)
			return
		}
	case SuffixCRLF:
		if f.pendingCR {
			f.pendingCR = false
			if b == '\n' {
				f.end(now)
				return
			}
			f.appendByte('\r')
		}
		if b == '\r' {
			f.pendingCR = true
			return
		}
	default: // SuffixAuto
		if b == '\r' || b == '\n' {
			f.end(now)
			return
		}
	}
	f.appendByte(b)
}

func (f *Framer) appendByte(b byte) {
	if b == '\r' || b == '\n' {
		f.stray = b
	}
	switch {
	case f.discarding:
		f.dropped++
	case len(f.buf) >= f.cfg.MaxFrame:
		f.discarding = true
		f.dropped = len(f.buf) + 1
		f.buf = f.buf[:0]
	default:
		if len(f.buf) == cap(f.buf) {
			// Grow by hand: append's growth would overshoot MaxFrame.
			grown := make([]byte, len(f.buf), min(2*cap(f.buf)+16, f.cfg.MaxFrame))
			copy(grown, f.buf)
			f.buf = grown
		}
		f.buf = append(f.buf, b)
	}
}

// end completes the pending frame: it becomes a Frame, a Rejection, or
// nothing when it held only line-ending bytes.
func (f *Framer) end(at time.Time) {
	defer f.clear()
	if f.pendingCR {
		f.appendByte('\r')
	}
	if f.discarding {
		f.mismatch()
		f.reject(fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLong, f.dropped, f.cfg.MaxFrame), f.dropped, at)
		return
	}
	// A scanner programmed with another line ending than the config leaves a
	// stray CR or LF at either end; they are never part of a barcode here.
	data := bytes.Trim(f.buf, "\r\n")
	if len(data) == 0 {
		return
	}
	var symbology string
	if !f.cfg.KeepAIM {
		var ok bool
		if symbology, data, ok = ParseAIM(data); ok && len(data) == 0 {
			f.reject(fmt.Errorf("%w (%s)", ErrEmptyPayload, symbology), aimPrefixLen, at)
			return
		}
	}
	if !f.cfg.AllowBinary {
		if off, what := firstNonText(data); off >= 0 {
			f.reject(fmt.Errorf("%w: %s at offset %d of %d bytes", ErrGarbage, what, off, len(data)), len(data), at)
			return
		}
	}
	f.out = append(f.out, Frame{Data: bytes.Clone(data), Symbology: symbology, At: at})
}

// endByGap completes a frame that no suffix ended. A stray line ending in it
// means the scanner terminates frames with another suffix than configured.
func (f *Framer) endByGap(at time.Time) {
	f.mismatch()
	f.end(at)
}

// mismatch reports a stray line ending in the pending frame. Line endings
// alone are the tail of the previous frame (a CRLF scanner with suffix CR)
// and harmless.
func (f *Framer) mismatch() {
	stray := f.stray
	if f.pendingCR {
		stray = '\r'
	}
	if stray == 0 || f.cfg.OnSuffixMismatch == nil || (!f.discarding && len(bytes.Trim(f.buf, "\r\n")) == 0) {
		return
	}
	seen := SuffixCR
	if stray == '\n' {
		seen = SuffixLF
	}
	f.cfg.OnSuffixMismatch(seen)
}

func (f *Framer) clear() {
	f.stray = 0
	f.buf = f.buf[:0]
	f.discarding = false
	f.dropped = 0
	f.pendingCR = false
}

func (f *Framer) reject(reason error, n int, at time.Time) {
	if f.cfg.OnReject != nil {
		f.cfg.OnReject(Rejection{Reason: reason, Len: n, At: at})
	}
}

// firstNonText returns the offset of the first byte that cannot be part of a
// text barcode, with a description, or -1. Allowed controls are those that
// structured barcodes carry: HT, and EOT, FS, GS, RS of ISO/IEC 15434 and
// GS1 (GS stands for FNC1).
func firstNonText(data []byte) (int, string) {
	for i := 0; i < len(data); {
		b := data[i]
		if b < utf8.RuneSelf {
			if (b < 0x20 && !allowedControl(b)) || b == 0x7f {
				return i, fmt.Sprintf("control byte 0x%02x", b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i, fmt.Sprintf("invalid UTF-8 byte 0x%02x", b)
		}
		if r >= 0x80 && r <= 0x9f {
			return i, fmt.Sprintf("C1 control U+%04X", r)
		}
		i += size
	}
	return -1, ""
}

func allowedControl(b byte) bool {
	switch b {
	case '\t', 0x04, 0x1c, 0x1d, 0x1e:
		return true
	}
	return false
}
