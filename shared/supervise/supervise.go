// Package supervise runs the long-lived parts of a daemon (servers, device loops, background workers)
// as one group: the first part to fail cancels the others, and Wait returns only once every part has
// returned, so a daemon closes its devices and its store after nothing uses them any more. It is the
// shape of golang.org/x/sync/errgroup, with names in the errors and two kinds of part: a service is
// meant to run until the group stops (its ending early, even without an error, stops the group), a task
// may finish early (only its error stops the group).
package supervise

import (
	"context"
	"errors"
	"sync"
)

// ErrEnded is the cause of a stop when a service returned nil while the group was running.
var ErrEnded = errors.New("supervise: ended before the group was stopped")

// PartError names the part whose failure stopped the group. Unwrap gives the part's error.
type PartError struct {
	Part string
	Err  error
}

func (e *PartError) Error() string { return e.Part + ": " + e.Err.Error() }
func (e *PartError) Unwrap() error { return e.Err }

// Group is a set of parts sharing one context. The zero value is not usable: call New.
type Group struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error // the first failure; nil while none
}

// New returns a group whose context ends when parent ends, Stop is called, or a part fails.
func New(parent context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancelCause(parent)
	return &Group{ctx: ctx, cancel: cancel}, ctx
}

// Go starts a service: it runs until ctx ends. An error, or a return while the group still runs,
// stops the group.
func (g *Group) Go(name string, fn func(ctx context.Context) error) { g.start(name, true, fn) }

// Task starts a part that may finish early (a one-shot refresh): only its error stops the group.
func (g *Group) Task(name string, fn func(ctx context.Context) error) { g.start(name, false, fn) }

func (g *Group) start(name string, service bool, fn func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		err := fn(g.ctx)
		if g.ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
			return // stopped, as asked
		}
		if err == nil && !service {
			return
		}
		if err == nil {
			err = ErrEnded
		}
		g.fail(&PartError{Part: name, Err: err})
	}()
}

// fail records the first failure and stops the group.
func (g *Group) fail(err error) {
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
	g.cancel(err)
}

// Stop asks every part to return (cause: why, e.g. the signal received); it does not wait.
func (g *Group) Stop(why error) { g.cancel(why) }

// Wait waits for every part to return and gives the first part's failure (a *PartError), or nil if
// the group was stopped from outside (parent context, Stop) with no part failing.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.cancel(context.Canceled)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Cause says why the group's context ended: the first failure, the cause given to Stop, or the
// parent's; nil while it runs.
func (g *Group) Cause() error { return context.Cause(g.ctx) }
