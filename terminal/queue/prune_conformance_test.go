package queue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

const keep = 30 * 24 * time.Hour

// pruneNow is the clock of the pruning cases: 40 days after t0, so records last changed at t0 are
// past a 30-day retention and records changed in the last 30 days are not.
var pruneNow = t0.Add(40 * 24 * time.Hour)

// countingStore is a real Store that counts its write transactions, to see pruning's batching.
type countingStore struct {
	Store
	updates int
}

func (c *countingStore) Update(ctx context.Context, fn func(Tx) error) error {
	c.updates++
	return c.Store.Update(ctx, fn)
}

// putAt stores a record in state st, created at t0 and last changed at changed; with, if given,
// edits it before it is stored.
func putAt(t *testing.T, s Store, kind string, st State, changed time.Time, with ...func(*Record)) Record {
	t.Helper()
	var r Record
	err := s.Update(context.Background(), func(tx Tx) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		r = Record{Seq: seq, TxnID: TxnID("T-1", seq), Kind: kind, State: st, Amount: money.Amount{Minor: 100, Currency: "EUR"},
			CreatedAt: t0, UpdatedAt: changed}
		for _, w := range with {
			w(&r)
		}
		return putVia(t, tx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func markSeen(t *testing.T, s Store, key, txnID string, expires time.Time) {
	t.Helper()
	err := s.Update(context.Background(), func(tx Tx) error {
		_, seen, err := tx.MarkSeen(key, txnID, expires)
		if seen {
			return fmt.Errorf("%s already seen", key)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// present returns which of ids are still stored.
func present(t *testing.T, s Store, ids ...string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := s.View(context.Background(), func(tx Tx) error {
		for _, id := range ids {
			_, err := tx.Get(id)
			switch {
			case err == nil:
				out[id] = true
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func seenKeys(t *testing.T, s Store) map[string]SeenCode {
	t.Helper()
	out := map[string]SeenCode{}
	err := s.View(context.Background(), func(tx Tx) error {
		after := ""
		for {
			page, err := tx.SeenCodes(after, 2) // small pages: the paging is part of the contract
			if err != nil || len(page) == 0 {
				return err
			}
			for _, e := range page {
				out[e.Key] = e
			}
			after = page[len(page)-1].Key
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pruneConformance(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	old, recent := t0, pruneNow.Add(-29*24*time.Hour)

	t.Run("prune keeps what can still matter and removes the rest", func(t *testing.T) {
		s := open(t)
		type rc struct {
			r    Record
			kept bool
		}
		var recs []rc
		add := func(kept bool, kind string, st State, changed time.Time, with ...func(*Record)) Record {
			r := putAt(t, s, kind, st, changed, with...)
			recs = append(recs, rc{r, kept})
			return r
		}
		settled := add(false, protocol.KindOffline, StateSettled, old)
		add(false, protocol.KindOnline, StateApproved, old)
		add(false, protocol.KindOnline, StateDeclined, old)
		add(false, protocol.KindOnline, StateCancelled, old)
		add(true, protocol.KindOffline, StateSettled, recent)                                                   // within the retention
		add(true, protocol.KindOnline, StateApproved, time.Time{}, func(r *Record) { r.CreatedAt = recent })    // never updated: counts from creation
		add(true, protocol.KindOffline, StateQueued, old)                                                       // still to forward
		add(true, protocol.KindOnline, StateWaiting, old)                                                       // open
		add(true, protocol.KindOnline, StateSending, old)                                                       // open
		refused := add(true, protocol.KindOffline, StateRefused, old)                                           // waits for a technician
		add(true, protocol.KindOffline, StateSettled, pruneNow.Add(time.Hour))                                  // clock set back: in the future
		pendingVoid := add(true, protocol.KindVoid, StateQueued, old)                                           // a void still to forward ...
		add(true, protocol.KindOnline, StateDeclined, old, func(r *Record) { r.VoidTxnID = pendingVoid.TxnID }) // ... keeps its sale
		doneVoid := add(false, protocol.KindVoid, StateSettled, old)
		add(false, protocol.KindOnline, StateDeclined, old, func(r *Record) { r.VoidTxnID = doneVoid.TxnID })
		refusedVoid := add(true, protocol.KindVoid, StateRefused, old)
		add(true, protocol.KindOnline, StateDeclined, old, func(r *Record) { r.VoidTxnID = refusedVoid.TxnID })

		// Seen codes: with an expiry, they go SeenExpiryGrace after it; without one (older files),
		// with their sale.
		fresh := add(true, protocol.KindOffline, StateSettled, recent)
		markSeen(t, s, "expired", settled.TxnID, pruneNow.Add(-SeenExpiryGrace-time.Second))
		markSeen(t, s, "expired-just-now", settled.TxnID, pruneNow.Add(-time.Hour))
		markSeen(t, s, "valid", settled.TxnID, pruneNow.Add(time.Hour))
		markSeen(t, s, "legacy-old-sale", settled.TxnID, time.Time{})
		markSeen(t, s, "legacy-recent-sale", fresh.TxnID, time.Time{})
		markSeen(t, s, "legacy-sale-gone", "T-1-000999999", time.Time{})
		markSeen(t, s, "legacy-refused-sale", refused.TxnID, time.Time{})
		wantSeen := map[string]bool{"expired-just-now": true, "valid": true, "legacy-recent-sale": true}

		var ids []string
		wantGone := map[State]int{}
		for _, c := range recs {
			ids = append(ids, c.r.TxnID)
			if !c.kept {
				wantGone[c.r.State]++
			}
		}
		check := func(res PruneResult, dry bool) {
			t.Helper()
			total := 0
			for st, n := range wantGone {
				if res.ByState[st] != n {
					t.Errorf("removed %d %s, want %d (%+v)", res.ByState[st], st, n, res)
				}
				total += n
			}
			if res.Records != total || res.SeenCodes != 4 || res.HeldRefused != 2 || res.DryRun != dry {
				t.Errorf("result %+v, want %d records, 4 seen codes, 2 held refused, dry run %v", res, total, dry)
			}
		}

		res, err := Prune(ctx, s, PruneOptions{KeepSettled: keep, Now: pruneNow, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		check(res, true)
		if got := present(t, s, ids...); len(got) != len(ids) {
			t.Fatalf("dry run removed records: %d of %d left", len(got), len(ids))
		}
		if got := seenKeys(t, s); len(got) != 7 {
			t.Fatalf("dry run removed seen codes: %v", got)
		}

		res, err = Prune(ctx, s, PruneOptions{KeepSettled: keep, Now: pruneNow})
		if err != nil {
			t.Fatal(err)
		}
		check(res, false)
		got := present(t, s, ids...)
		for _, c := range recs {
			if got[c.r.TxnID] != c.kept {
				t.Errorf("%s (%s %s, changed %s): present=%v, want %v", c.r.TxnID, c.r.Kind, c.r.State, c.r.LastChange().Format(time.DateOnly), got[c.r.TxnID], c.kept)
			}
		}
		seen := seenKeys(t, s)
		for k := range seen {
			if !wantSeen[k] {
				t.Errorf("seen code %q kept", k)
			}
		}
		for k := range wantSeen {
			if _, ok := seen[k]; !ok {
				t.Errorf("seen code %q removed", k)
			}
		}
		if e := seen["valid"]; !e.Expires.Equal(pruneNow.Add(time.Hour)) || e.TxnID != settled.TxnID {
			t.Errorf("seen entry read back as %+v", e)
		}
		// A kept seen code still blocks its code, and a removed one no longer does.
		s.Update(ctx, func(tx Tx) error {
			if earlier, seen, _ := tx.MarkSeen("valid", "T-1-X", time.Time{}); !seen || earlier != settled.TxnID {
				t.Errorf("kept seen code: seen=%v earlier=%q", seen, earlier)
			}
			return errors.New("roll back")
		})

		res, err = Prune(ctx, s, PruneOptions{KeepSettled: keep, Now: pruneNow})
		if err != nil || res.Records != 0 || res.SeenCodes != 0 {
			t.Fatalf("second prune: %+v, %v", res, err)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatalf("store check after prune: %v", err)
		}
		// Sequences go on from where they were: ids of pruned records are never reused.
		last := recs[len(recs)-1].r.Seq
		if next := newRecord(t, s, protocol.KindOnline, StateWaiting, 1); next.Seq != last+1 {
			t.Fatalf("sequence after prune = %d, want %d", next.Seq, last+1)
		}
	})

	t.Run("prune commits in bounded batches", func(t *testing.T) {
		s := &countingStore{Store: open(t)}
		const n = 2*PruneBatch + 500
		err := s.Update(ctx, func(tx Tx) error {
			for i := 0; i < n; i++ {
				seq, err := tx.NextSeq()
				if err != nil {
					return err
				}
				id := TxnID("T-1", seq)
				if _, _, err := tx.MarkSeen(id, id, old); err != nil {
					return err
				}
				if err := putVia(t, tx, Record{Seq: seq, TxnID: id, Kind: protocol.KindOffline, State: StateSettled, CreatedAt: old, UpdatedAt: old}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s.updates = 0
		res, err := Prune(ctx, s, PruneOptions{KeepSettled: keep, Now: pruneNow})
		if err != nil || res.Records != n || res.SeenCodes != n {
			t.Fatalf("prune: %+v, %v", res, err)
		}
		// ceil(n/PruneBatch) transactions for the records and as many for the seen codes.
		if want := 2 * ((n + PruneBatch - 1) / PruneBatch); s.updates != want {
			t.Fatalf("%d write transactions, want %d of at most %d deletions", s.updates, want, PruneBatch)
		}
		s.View(ctx, func(tx Tx) error {
			if recs, err := tx.Scan(0, 10); err != nil || len(recs) != 0 {
				t.Fatalf("records left: %v, %v", recs, err)
			}
			return nil
		})
		if err := s.Check(ctx); err != nil {
			t.Fatalf("store check after prune: %v", err)
		}
	})

	t.Run("nothing to prune writes nothing", func(t *testing.T) {
		s := &countingStore{Store: open(t)}
		putAt(t, s, protocol.KindOffline, StateSettled, recent)
		putAt(t, s, protocol.KindOffline, StateRefused, old)
		markSeen(t, s, "valid", "T-1-000000001", pruneNow.Add(time.Hour))
		s.updates = 0
		res, err := Prune(ctx, s, PruneOptions{KeepSettled: keep, Now: pruneNow})
		if err != nil || res.Records != 0 || res.SeenCodes != 0 || res.HeldRefused != 1 || s.updates != 0 {
			t.Fatalf("prune: %+v, %v, %d writes", res, err, s.updates)
		}
	})

	t.Run("delete refuses records that are not final", func(t *testing.T) {
		s := open(t)
		for _, st := range []State{StateWaiting, StateSending, StateQueued, StateRefused} {
			r := putAt(t, s, protocol.KindOffline, st, old)
			err := s.Update(ctx, func(tx Tx) error { return tx.Delete(r.TxnID) })
			if !errors.Is(err, ErrNotFinal) {
				t.Errorf("delete %s: %v, want ErrNotFinal", st, err)
			}
		}
		if err := s.Update(ctx, func(tx Tx) error { return tx.Delete("T-1-404") }); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete missing: %v", err)
		}
		if err := s.Update(ctx, func(tx Tx) error { return tx.ForgetSeen("never-seen") }); err != nil {
			t.Errorf("forget missing seen code: %v", err)
		}
		s.View(ctx, func(tx Tx) error {
			if open, _ := tx.OpenRecords(); len(open) != 2 {
				t.Errorf("open records %d, want 2", len(open))
			}
			if n, _ := tx.OutboxLen(); n != 1 {
				t.Errorf("outbox %d, want 1", n)
			}
			return nil
		})
	})

	t.Run("a deleted record leaves every index", func(t *testing.T) {
		s := open(t)
		r := putAt(t, s, protocol.KindOffline, StateQueued, old)
		r.State = StateSettled
		if err := s.Update(ctx, func(tx Tx) error {
			if err := tx.Put(r); err != nil {
				return err
			}
			return tx.Delete(r.TxnID)
		}); err != nil {
			t.Fatal(err)
		}
		s.View(ctx, func(tx Tx) error {
			if n, _ := tx.OutboxLen(); n != 0 {
				t.Errorf("outbox %d after delete", n)
			}
			if recent, _ := tx.Recent(0, 10); len(recent) != 0 {
				t.Errorf("recent after delete: %v", recent)
			}
			return nil
		})
	})

	t.Run("bad retention", func(t *testing.T) {
		if _, err := Prune(ctx, open(t), PruneOptions{Now: pruneNow}); !errors.Is(err, ErrBadRetention) {
			t.Fatalf("got %v, want ErrBadRetention", err)
		}
	})
}
