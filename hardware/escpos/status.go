package escpos

import (
	"errors"
	"fmt"
)

// ErrBadStatusByte is returned (wrapped) when a byte is not a valid reply of
// the kind expected.
var ErrBadStatusByte = errors.New("not a valid ESC/POS status byte")

// Condition is everything the status replies can tell about a printer. The
// DLE EOT replies (one byte per group), the GS r 1 reply and the four-byte
// ASB message each fill part of it.
type Condition struct {
	// DLE EOT 1 / ASB byte 1
	DrawerPin3High  bool // drawer kick connector pin 3 high (drawer open or closed, depending on the drawer)
	Offline         bool
	WaitingRecovery bool // waiting for online recovery
	FeedButton      bool // paper being fed by the feed button
	// DLE EOT 2 / ASB byte 1
	CoverOpen     bool
	PaperEndStop  bool // printing stopped because the paper ran out
	ErrorOccurred bool
	// DLE EOT 3 / ASB byte 2
	RecoverableError     bool
	CutterError          bool
	UnrecoverableError   bool
	AutoRecoverableError bool
	// DLE EOT 4 / GS r 1 / ASB byte 3
	PaperNearEnd bool
	PaperOut     bool
}

// Ready reports whether the printer can print now.
func (c Condition) Ready() bool {
	return !c.Offline && !c.CoverOpen && !c.PaperOut && !c.PaperEndStop &&
		!c.CutterError && !c.UnrecoverableError
}

func bit(b byte, n uint) bool { return b&(1<<n) != 0 }

func set(on bool, n uint) byte {
	if on {
		return 1 << n
	}
	return 0
}

// IsRealTimeReply reports whether b has the fixed bits of a DLE EOT reply:
// 0xx1xx10 (python-escpos and receiptio test the same mask).
func IsRealTimeReply(b byte) bool { return b&0x93 == 0x12 }

// ApplyRealTime merges the reply b to DLE EOT n into c.
func (c *Condition) ApplyRealTime(n, b byte) error {
	if !IsRealTimeReply(b) {
		return fmt.Errorf("escpos: %w: %#02x as reply to DLE EOT %d", ErrBadStatusByte, b, n)
	}
	switch n {
	case StatusPrinter:
		c.DrawerPin3High, c.Offline, c.WaitingRecovery, c.FeedButton = bit(b, 2), bit(b, 3), bit(b, 5), bit(b, 6)
	case StatusOffline:
		c.CoverOpen, c.PaperEndStop, c.ErrorOccurred = bit(b, 2), bit(b, 5), bit(b, 6)
		// bit 3 is "paper being fed by the feed button"; bit 6 of group 1
		// says the same, so it is not kept twice.
	case StatusError:
		c.RecoverableError, c.CutterError, c.UnrecoverableError, c.AutoRecoverableError = bit(b, 2), bit(b, 3), bit(b, 5), bit(b, 6)
	case StatusPaper:
		// Two bits each, both set by Epson firmware; either one counts.
		c.PaperNearEnd = b&0x0c != 0
		c.PaperOut = b&0x60 != 0
	default:
		return fmt.Errorf("escpos: %w: DLE EOT %d is not a status group", ErrInvalidArgument, n)
	}
	return nil
}

// RealTimeReply is the byte a printer in condition c sends for DLE EOT n;
// the simulator answers with it.
func (c Condition) RealTimeReply(n byte) byte {
	b := byte(0x12)
	switch n {
	case StatusPrinter:
		b |= set(c.DrawerPin3High, 2) | set(c.Offline, 3) | set(c.WaitingRecovery, 5) | set(c.FeedButton, 6)
	case StatusOffline:
		b |= set(c.CoverOpen, 2) | set(c.FeedButton, 3) | set(c.PaperEndStop, 5) | set(c.ErrorOccurred, 6)
	case StatusError:
		b |= set(c.RecoverableError, 2) | set(c.CutterError, 3) | set(c.UnrecoverableError, 5) | set(c.AutoRecoverableError, 6)
	case StatusPaper:
		if c.PaperNearEnd {
			b |= 0x0c
		}
		if c.PaperOut {
			b |= 0x60
		}
	}
	return b
}

// IsPaperSensorReply reports whether b can be a GS r 1 reply (bits 4 and 7
// clear).
func IsPaperSensorReply(b byte) bool { return b&0x90 == 0 }

// ApplyPaperSensor merges the GS r 1 reply b into c.
func (c *Condition) ApplyPaperSensor(b byte) error {
	if !IsPaperSensorReply(b) {
		return fmt.Errorf("escpos: %w: %#02x as reply to GS r 1", ErrBadStatusByte, b)
	}
	c.PaperNearEnd = b&0x03 != 0
	c.PaperOut = b&0x0c != 0
	return nil
}

// PaperSensorReply is the GS r 1 reply for c.
func (c Condition) PaperSensorReply() byte {
	var b byte
	if c.PaperNearEnd {
		b |= 0x03
	}
	if c.PaperOut {
		b |= 0x0c
	}
	return b
}

// DrawerReply is the GS r 2 reply for c: bit 0 is drawer pin 3.
func (c Condition) DrawerReply() byte { return set(c.DrawerPin3High, 0) }

// IsASBHeader reports whether b can start an ASB message: 0xx1xx00.
func IsASBHeader(b byte) bool { return b&0x93 == 0x10 }

// ApplyASB merges a four-byte Automatic Status Back message into c.
func (c *Condition) ApplyASB(m [4]byte) error {
	if !IsASBHeader(m[0]) || m[1]&0x90 != 0 || m[2]&0x90 != 0 || m[3]&0x90 != 0 {
		return fmt.Errorf("escpos: %w: % x as ASB message", ErrBadStatusByte, m[:])
	}
	c.DrawerPin3High, c.Offline, c.CoverOpen, c.FeedButton = bit(m[0], 2), bit(m[0], 3), bit(m[0], 5), bit(m[0], 6)
	c.RecoverableError, c.CutterError, c.UnrecoverableError, c.AutoRecoverableError = bit(m[1], 2), bit(m[1], 3), bit(m[1], 5), bit(m[1], 6)
	c.PaperNearEnd = m[2]&0x03 != 0
	c.PaperOut = m[2]&0x0c != 0
	c.PaperEndStop = c.PaperOut && c.Offline
	return nil
}

// ASBMessage is the four-byte ASB message for c.
func (c Condition) ASBMessage() [4]byte {
	var m [4]byte
	m[0] = 0x10 | set(c.DrawerPin3High, 2) | set(c.Offline, 3) | set(c.CoverOpen, 5) | set(c.FeedButton, 6)
	m[1] = set(c.RecoverableError, 2) | set(c.CutterError, 3) | set(c.UnrecoverableError, 5) | set(c.AutoRecoverableError, 6)
	if c.PaperNearEnd {
		m[2] |= 0x03
	}
	if c.PaperOut {
		m[2] |= 0x0c
	}
	return m
}
