package queue

import (
	"context"
	"errors"
	"testing"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestOrderFollowUps(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			put := func(r Record) {
				t.Helper()
				if err := s.Update(ctx, func(tx Tx) error { return tx.Put(r) }); err != nil {
					t.Fatal(err)
				}
			}
			followUps := func() []string {
				t.Helper()
				var ids []string
				err := s.View(ctx, func(tx Tx) error {
					recs, err := tx.FollowUps()
					for _, r := range recs {
						ids = append(ids, r.TxnID)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return ids
			}
			a := newRecord(t, s, KindOrder, StateOrdering, 1250)
			newRecord(t, s, protocol.KindOnline, StateApproved, 100) // a sale is never followed
			c := newRecord(t, s, KindOrder, StateOrderPending, 300)
			if got := followUps(); len(got) != 2 || got[0] != a.TxnID || got[1] != c.TxnID {
				t.Fatalf("follow-ups = %v, want [%s %s]", got, a.TxnID, c.TxnID)
			}

			// Paid but not reported yet: still followed (the receipt is owed).
			a.State, a.Order = StatePaid, &Order{OrderID: "O-1", PaymentID: "P-1"}
			put(a)
			if got := followUps(); len(got) != 2 || got[0] != a.TxnID {
				t.Fatalf("after paid = %v", got)
			}
			// An open or pending record is not final, so never pruned.
			if err := s.Update(ctx, func(tx Tx) error { return tx.Delete(c.TxnID) }); !errors.Is(err, ErrNotFinal) {
				t.Fatalf("deleting a pending order: %v", err)
			}
			a.Order.Reported = true
			put(a)
			if got := followUps(); len(got) != 1 || got[0] != c.TxnID {
				t.Fatalf("after reported = %v", got)
			}
			// A final order that was never reported can be pruned, and leaves the index with it.
			c.State, c.Order = StateExpired, &Order{OrderID: "O-2"}
			put(c)
			if err := s.Update(ctx, func(tx Tx) error { return tx.Delete(c.TxnID) }); err != nil {
				t.Fatal(err)
			}
			if got := followUps(); len(got) != 0 {
				t.Fatalf("after delete = %v", got)
			}
			var back Record
			s.View(ctx, func(tx Tx) error {
				var err error
				back, err = tx.Get(a.TxnID)
				return err
			})
			if back.Order == nil || back.Order.PaymentID != "P-1" || back.Amount != (money.Amount{Minor: 1250, Currency: "EUR"}) {
				t.Fatalf("stored order = %+v", back)
			}
		})
	}
}

func TestFeedCursor(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			cursor := func() uint64 {
				var c uint64
				s.View(ctx, func(tx Tx) error { c, _ = tx.FeedCursor(); return nil })
				return c
			}
			if c := cursor(); c != 0 {
				t.Fatalf("new queue: cursor %d", c)
			}
			if err := s.Update(ctx, func(tx Tx) error { return tx.SetFeedCursor(17) }); err != nil {
				t.Fatal(err)
			}
			// A failed transaction moves nothing: the cursor moves with what the feed brought.
			s.Update(ctx, func(tx Tx) error { tx.SetFeedCursor(99); return errors.New("boom") })
			if c := cursor(); c != 17 {
				t.Fatalf("cursor %d, want 17", c)
			}
		})
	}
}

func TestOrderStates(t *testing.T) {
	for _, tc := range []struct {
		s            State
		final, order bool
	}{
		{StateOrdering, false, false},
		{StateOrderPending, false, false},
		{StateCancelling, false, false},
		{StatePaid, true, true},
		{StateExpired, true, true},
		{StateCancelled, true, true},
		{StateDeclined, true, true},
	} {
		if tc.s.Final() != tc.final || tc.s.OrderFinal() != tc.order || tc.s.Open() || tc.s.Outbox() {
			t.Errorf("%s: final %v order-final %v open %v outbox %v", tc.s, tc.s.Final(), tc.s.OrderFinal(), tc.s.Open(), tc.s.Outbox())
		}
	}
}
