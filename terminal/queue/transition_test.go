package queue

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

var update = flag.Bool("update", false, "rewrite the state table in docs/terminal.md")

const docPath = "../../docs/terminal.md"

// Markers around the state table in docs/terminal.md.
const (
	tableBegin = "<!-- transitions:begin -->\n"
	tableEnd   = "<!-- transitions:end -->"
)

// docTable renders transitions as docs/terminal.md's table.
func docTable() string {
	var b strings.Builder
	b.WriteString("| from | may move to |\n|---|---|\n")
	for _, from := range append([]State{""}, States()...) {
		to := transitions[from]
		if len(to) == 0 {
			continue
		}
		name := string(from)
		if from == "" {
			name = "(new)"
		}
		names := make([]string, len(to))
		for i, s := range to {
			names[i] = string(s)
		}
		fmt.Fprintf(&b, "| %s | %s |\n", name, strings.Join(names, ", "))
	}
	return b.String()
}

// TestDocTransitionTable: docs/terminal.md states the same machine as the code (-update rewrites the
// doc's table from the code).
func TestDocTransitionTable(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", docPath, tableBegin, tableEnd)
	}
	got := doc[i+len(tableBegin) : j]
	want := docTable()
	if *update {
		if err := os.WriteFile(docPath, []byte(doc[:i+len(tableBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want {
		t.Errorf("the state table in %s differs from queue's (go test -run TestDocTransitionTable -update):\n--- doc\n%s--- code\n%s", docPath, got, want)
	}
	// The edges the issue found missing from the doc are in it.
	if !strings.Contains(got, "| waiting | sending, declined, cancelled |") {
		t.Error("the doc's table misses waiting -> declined")
	}
}

// TestPutChecksEveryPairOfStates stores a record in each state (by a legal path) and asks Put to move
// it to every state: Put must accept exactly the moves CanMove allows, refuse the others with a
// TransitionError that errors.Is ErrTransition, and leave a refused record as it was.
func TestPutChecksEveryPairOfStates(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			allowed, refused := 0, 0
			for _, from := range append([]State{""}, States()...) {
				for _, to := range States() {
					var seq uint64
					err := s.Update(ctx, func(tx Tx) error {
						var err error
						if seq, err = tx.NextSeq(); err != nil {
							return err
						}
						if from == "" {
							return nil
						}
						return putVia(t, tx, Record{Seq: seq, TxnID: TxnID("T-1", seq), Kind: protocol.KindOnline, State: from})
					})
					if err != nil {
						t.Fatalf("setting up %s: %v", from, err)
					}
					id := TxnID("T-1", seq)
					err = s.Update(ctx, func(tx Tx) error {
						return tx.Put(Record{Seq: seq, TxnID: id, Kind: protocol.KindOnline, State: to})
					})
					want := (from != "" && from == to) || slices.Contains(transitions[from], to)
					if want {
						allowed++
						if err != nil {
							t.Errorf("%q -> %s: %v, want it allowed", from, to, err)
						}
						continue
					}
					refused++
					var te *TransitionError
					if !errors.Is(err, ErrTransition) || !errors.As(err, &te) || te.From != from || te.To != to || te.TxnID != id {
						t.Errorf("%q -> %s: %v, want a TransitionError", from, to, err)
					}
					s.View(ctx, func(tx Tx) error {
						r, err := tx.Get(id)
						switch {
						case from == "" && !errors.Is(err, ErrNotFound):
							t.Errorf("%q -> %s refused, yet stored: %v %v", from, to, r.State, err)
						case from != "" && (err != nil || r.State != from):
							t.Errorf("%q -> %s refused, yet the record is %v %v", from, to, r.State, err)
						}
						return nil
					})
				}
			}
			if allowed == 0 || refused == 0 {
				t.Fatalf("%d moves allowed, %d refused: the table is degenerate", allowed, refused)
			}
		})
	}
}

// TestMovesTheAgentMakes spells out, independently of the table, moves the agent, the forwarder and
// Recover make (they must be allowed) and moves nothing may make (they must not).
func TestMovesTheAgentMakes(t *testing.T) {
	for _, c := range []struct {
		from, to State
		ok       bool
	}{
		{"", StateWaiting, true}, {"", StateSending, true}, {"", StateQueued, true}, {"", StateOrdering, true}, {"", StatePaid, true},
		{StateWaiting, StateSending, true}, {StateWaiting, StateDeclined, true}, {StateWaiting, StateCancelled, true},
		{StateSending, StateApproved, true}, {StateSending, StateQueued, true}, {StateSending, StateDeclined, true},
		{StateQueued, StateSettled, true}, {StateQueued, StateRefused, true}, {StateRefused, StateQueued, true},
		{StateOrdering, StateOrderPending, true}, {StateOrderPending, StateCancelling, true}, {StateCancelling, StatePaid, true},
		{StateApproved, StateApproved, true}, {StateSettled, StateSettled, true},
		{"", StateApproved, false}, {"", StateSettled, false}, {StateWaiting, StateApproved, false},
		{StateApproved, StateDeclined, false}, {StateSettled, StateQueued, false}, {StateDeclined, StateSending, false},
		{StateCancelled, StateWaiting, false}, {StatePaid, StateExpired, false}, {StateQueued, StateApproved, false},
		{StateWaiting, StatePaid, false}, {StateOrdering, StateApproved, false},
	} {
		if got := CanMove(c.from, c.to); got != c.ok {
			t.Errorf("CanMove(%q, %q) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

// TestPathReachesEveryState: every state can be reached from a new record, and Path's chain is made
// of allowed moves.
func TestPathReachesEveryState(t *testing.T) {
	for _, st := range States() {
		path := Path(st)
		if len(path) == 0 || path[len(path)-1] != st {
			t.Errorf("Path(%s) = %v", st, path)
			continue
		}
		from := State("")
		for _, next := range path {
			if !CanMove(from, next) {
				t.Errorf("Path(%s) = %v: %q -> %s is not allowed", st, path, from, next)
			}
			from = next
		}
	}
	if p := Path("nonsense"); p != nil {
		t.Errorf("Path(nonsense) = %v, want nil", p)
	}
}
