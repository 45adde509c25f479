package queue

import (
	"errors"
	"fmt"
	"slices"
)

// ErrTransition: Put was asked to move a record to a state its current state does not lead to (see
// Transitions), or to insert a record in a state no record starts in. Test with errors.Is; the error
// is a *TransitionError.
var ErrTransition = errors.New("queue: state transition not allowed")

// TransitionError names the refused move. From is "" for an insert.
type TransitionError struct {
	TxnID    string
	From, To State
}

func (e *TransitionError) Error() string {
	from := string(e.From)
	if from == "" {
		from = "(new)"
	}
	return fmt.Sprintf("queue: %s cannot go from %s to %s", e.TxnID, from, e.To)
}

// Is makes errors.Is(err, ErrTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }

// transitions is the state machine of a record: from each state, the states Put may move it to. The
// key "" lists the states a record may be inserted in. Staying in the same state (a print status, a
// forwarding attempt, a refund counted on its sale) is always allowed; a state missing as a key is
// final: nothing leaves it. docs/terminal.md's table is tested against this one
// (TestDocTransitionTable; -update rewrites it).
var transitions = map[State][]State{
	"": {StateWaiting, StateSending, StateQueued, StateOrdering, StatePaid},
	// A sale waits for its code; a code declined before anything is sent (not a payment code, already
	// used, the offline rules refuse it with the server unreachable) declines it from here.
	StateWaiting: {StateSending, StateDeclined, StateCancelled},
	StateSending: {StateApproved, StateQueued, StateDeclined},
	StateQueued:  {StateSettled, StateRefused},
	// A refused item goes back to the outbox when a technician retries it (posagent queue retry).
	StateRefused: {StateQueued},
	// Orders: only the server decides paid, expired and cancelled, and may do so at any point.
	StateOrdering:     {StateOrderPending, StateDeclined, StateCancelling, StatePaid, StateExpired, StateCancelled},
	StateOrderPending: {StateCancelling, StatePaid, StateExpired, StateCancelled},
	StateCancelling:   {StateCancelled, StatePaid, StateExpired},
}

// States lists every record state, in the order of the state machine.
func States() []State {
	return []State{StateWaiting, StateSending, StateApproved, StateQueued, StateSettled, StateRefused,
		StateDeclined, StateCancelled, StateOrdering, StateOrderPending, StateCancelling, StatePaid, StateExpired}
}

// Transitions returns the states a record in state from may move to ("" : the states a record may
// be inserted in), besides staying where it is.
func Transitions(from State) []State { return slices.Clone(transitions[from]) }

// CanMove reports whether Put may take a record from state from ("" for an insert) to state to.
func CanMove(from, to State) bool {
	if from != "" && from == to {
		return true
	}
	return slices.Contains(transitions[from], to)
}

// checkMove is Put's check: prev is the stored record (ok false when there is none).
func checkMove(prev Record, ok bool, r Record) error {
	from := State("")
	if ok {
		from = prev.State
	}
	if !CanMove(from, r.State) {
		return &TransitionError{TxnID: r.TxnID, From: from, To: r.State}
	}
	return nil
}

// Path returns the shortest chain of states a new record goes through to reach to, to included
// (nil if none does). Test fixtures use it to store a record in any state through Put's checks.
func Path(to State) []State {
	prev := map[State]State{}
	seen := map[State]bool{"": true}
	frontier := []State{""}
	for len(frontier) > 0 {
		from := frontier[0]
		frontier = frontier[1:]
		for _, next := range transitions[from] {
			if seen[next] {
				continue
			}
			seen[next], prev[next] = true, from
			if next == to {
				var path []State
				for s := to; s != ""; s = prev[s] {
					path = append([]State{s}, path...)
				}
				return path
			}
			frontier = append(frontier, next)
		}
	}
	return nil
}
