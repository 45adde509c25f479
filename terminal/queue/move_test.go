package queue

import (
	"context"
	"errors"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

// TestMoveAndTransition: Transition stores an allowed move with the fields the caller changed and
// returns the moved record; a refused move is a TransitionError that leaves the stored record as it
// was; Move inside a larger transaction is undone with it.
func TestMoveAndTransition(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			var r Record
			err := s.Update(ctx, func(tx Tx) error {
				seq, err := tx.NextSeq()
				if err != nil {
					return err
				}
				r = Record{Seq: seq, TxnID: TxnID("T-1", seq), Kind: protocol.KindOnline, State: StateWaiting}
				return tx.Put(r)
			})
			if err != nil {
				t.Fatal(err)
			}
			stored := func() Record {
				t.Helper()
				var got Record
				if err := s.View(ctx, func(tx Tx) error { got, err = tx.Get(r.TxnID); return err }); err != nil {
					t.Fatal(err)
				}
				return got
			}

			r.Masked = "**** 1234"
			moved, err := Transition(ctx, s, r, StateSending)
			if err != nil {
				t.Fatalf("waiting -> sending: %v", err)
			}
			if moved.State != StateSending {
				t.Errorf("returned state %s, want sending", moved.State)
			}
			if got := stored(); got.State != StateSending || got.Masked != "**** 1234" {
				t.Errorf("stored %s %q, want sending with the caller's change", got.State, got.Masked)
			}

			moved.DeclineMessage = "should not be stored"
			moved, err = Transition(ctx, s, moved, StateSettled)
			var te *TransitionError
			if !errors.Is(err, ErrTransition) || !errors.As(err, &te) || te.From != StateSending || te.To != StateSettled {
				t.Fatalf("sending -> settled: %v, want a TransitionError", err)
			}
			if moved.State != StateSettled {
				t.Errorf("a refused move returned state %s, want the asked state settled", moved.State)
			}
			if got := stored(); got.State != StateSending || got.DeclineMessage != "" {
				t.Errorf("after a refused move the record is %s %q, want it unchanged", got.State, got.DeclineMessage)
			}

			errLater := errors.New("a later step failed")
			err = s.Update(ctx, func(tx Tx) error {
				if _, err := Move(tx, r, StateApproved); err != nil {
					return err
				}
				return errLater
			})
			if !errors.Is(err, errLater) {
				t.Fatalf("Update: %v, want the later step's error", err)
			}
			if got := stored(); got.State != StateSending {
				t.Errorf("a move in a failed transaction left the record %s, want sending", got.State)
			}

			if u := Unstored(r, StateDeclined); u.State != StateDeclined || stored().State != StateSending {
				t.Errorf("Unstored: returned %s, stored %s; want declined and sending", u.State, stored().State)
			}
		})
	}
}
