// Package clock is the one way the server, the terminal and the wallet tell the time: code that
// reads the time takes a Clock, production passes Real, and tests pass a clocktest.Fake they move.
package clock

import "time"

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Func adapts a function to Clock, e.g. clock.Func(other.Now).
type Func func() time.Time

// Now returns f().
func (f Func) Now() time.Time { return f() }

// Or returns c, or Real when c is nil: the default of every Options.Clock.
func Or(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}
