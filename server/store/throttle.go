package store

import (
	"errors"
	"fmt"
	"time"
)

// Code checks count inside the store (v6). Every payment op the service sends carries a Throttle:
// ApplyPayments reads the failed-code counts of the op's terminal and user in the op's own transaction,
// before it decides anything. A subject at one of its limits makes the op come back with a
// *ThrottledError in Outcome.Err and nothing recorded: the op's code (right or wrong) is neither
// counted nor revealed, and no money moves. Otherwise a pre-decided decline with
// Decline.CountFailure counts one failure against the same subjects in the same transaction. So the
// lock check, the code's verdict and the failure increment are one atomic step per op: N concurrent
// requests, or N items of one batch, can have at most the limit of codes judged.

// CodeLimits are the failed-code limits of one kind of subject: failures in the sliding window and on
// the current UTC day. Zero means no limit.
type CodeLimits struct {
	PerWindow int
	PerDay    int
}

// Reached reports whether c is at one of the limits, and whether that is the daily one.
func (l CodeLimits) Reached(c FailureCount) (reached, daily bool) {
	switch {
	case l.PerDay > 0 && c.Today >= l.PerDay:
		return true, true
	case l.PerWindow > 0 && c.InWindow >= l.PerWindow:
		return true, false
	}
	return false, false
}

// Throttle asks ApplyPayments to check an op's subjects against their limits first: the terminal
// (op.Key.TerminalID) against Terminal and, when op.UserID is set, the user against User.
type Throttle struct {
	Since    time.Time // start of the sliding window
	User     CodeLimits
	Terminal CodeLimits
}

// ErrThrottled is what a *ThrottledError wraps.
var ErrThrottled = errors.New("store: too many failed codes")

// ThrottledError is Outcome.Err of an op refused because a subject is at a limit of its Throttle.
type ThrottledError struct {
	Subject Subject
	Count   FailureCount
	// Daily is set when the daily limit was reached (locked until the next UTC day), else the window's.
	Daily bool
}

func (e *ThrottledError) Error() string {
	limit := "window"
	if e.Daily {
		limit = "daily"
	}
	return fmt.Sprintf("%v: %s %s at its %s limit (%d in the window, %d today)", ErrThrottled, e.Subject.Kind, e.Subject.ID, limit, e.Count.InWindow, e.Count.Today)
}

func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// Subjects are the subjects an op's Throttle checks, terminal first.
func (t *Throttle) Subjects(op PaymentOp) []Subject {
	subs := []Subject{{Kind: SubjectTerminal, ID: op.Key.TerminalID}}
	if op.UserID != "" {
		subs = append(subs, Subject{Kind: SubjectUser, ID: op.UserID})
	}
	return subs
}

// Limits are the limits of a subject's kind.
func (t *Throttle) Limits(k SubjectKind) CodeLimits {
	if k == SubjectUser {
		return t.User
	}
	return t.Terminal
}
