package printer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// Sentinel errors. Print and Status wrap them; test with errors.Is. The
// status errors come inside a *StatusError carrying the full Status.
var (
	// ErrPaperOut: the roll is empty. Nothing (more) was printed; load
	// paper and print the job again.
	ErrPaperOut = errors.New("printer out of paper")
	// ErrCoverOpen: the cover is open; close it and print again.
	ErrCoverOpen = errors.New("printer cover open")
	// ErrOffline: the printer reports itself offline for another reason
	// (error state, waiting for recovery, feed button held).
	ErrOffline = errors.New("printer offline")
	// ErrCutter: the autocutter jammed; clear it and print again.
	ErrCutter = errors.New("printer cutter error")
	// ErrDisconnected: the connection to the printer failed or was
	// closed by the other side (cable, USB unplug, network).
	ErrDisconnected = errors.New("printer disconnected")
	// ErrClosed: the Printer was closed.
	ErrClosed = errors.New("printer closed")
	// ErrInvalidConfig: the Config cannot describe a printer.
	ErrInvalidConfig = errors.New("invalid printer configuration")
)

// Status is what the printer said about itself. Unknown means it did not
// answer within the status timeout; the other fields are then meaningless.
type Status struct {
	Unknown      bool
	Online       bool
	CoverOpen    bool
	PaperNearEnd bool
	PaperOut     bool
	CutterError  bool
	// Unrecoverable errors need a power cycle; auto-recoverable ones (head
	// too hot) clear by themselves.
	UnrecoverableError   bool
	AutoRecoverableError bool
	// DrawerPin3High is the level of the drawer sensor pin; which level
	// means "open" depends on the drawer.
	DrawerPin3High bool
}

func statusFrom(c escpos.Condition) Status {
	return Status{
		Online:               c.Ready(),
		CoverOpen:            c.CoverOpen,
		PaperNearEnd:         c.PaperNearEnd,
		PaperOut:             c.PaperOut || c.PaperEndStop,
		CutterError:          c.CutterError,
		UnrecoverableError:   c.UnrecoverableError,
		AutoRecoverableError: c.AutoRecoverableError,
		DrawerPin3High:       c.DrawerPin3High,
	}
}

// String is a short human description, e.g. "offline: paper out, cover open".
func (s Status) String() string {
	if s.Unknown {
		return "unknown (no status answer)"
	}
	var why []string
	add := func(on bool, what string) {
		if on {
			why = append(why, what)
		}
	}
	add(s.PaperOut, "paper out")
	add(s.CoverOpen, "cover open")
	add(s.CutterError, "cutter error")
	add(s.UnrecoverableError, "unrecoverable error")
	add(s.AutoRecoverableError, "auto-recoverable error")
	state := "online"
	if !s.Online {
		state = "offline"
	}
	if s.PaperNearEnd && !s.PaperOut {
		why = append(why, "paper near end")
	}
	if len(why) == 0 {
		return state
	}
	return state + ": " + strings.Join(why, ", ")
}

// Err returns the error that stops printing in this state (wrapped in a
// *StatusError), or nil when the printer can print or its state is unknown.
func (s Status) Err() error {
	var sentinel error
	switch {
	case s.Unknown, s.Online:
		return nil
	case s.PaperOut:
		sentinel = ErrPaperOut
	case s.CoverOpen:
		sentinel = ErrCoverOpen
	case s.CutterError:
		sentinel = ErrCutter
	default:
		sentinel = ErrOffline
	}
	return &StatusError{Status: s, Err: sentinel}
}

// StatusError is a refusal or interruption caused by the printer's state.
type StatusError struct {
	Status Status
	Err    error // ErrPaperOut, ErrCoverOpen, ErrCutter or ErrOffline
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%v (printer status: %s)", e.Err, e.Status)
}

func (e *StatusError) Unwrap() error { return e.Err }
