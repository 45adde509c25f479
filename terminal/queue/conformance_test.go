package queue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// stores lists the implementations the conformance test runs against.
func stores(t *testing.T) map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"bolt": func(t *testing.T) Store {
			b, err := OpenBolt(filepath.Join(t.TempDir(), "queue.db"), "T-1")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
		"memory": func(t *testing.T) Store { return NewMemory() },
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newRecord allocates a sequence and stores a record in state s.
func newRecord(t *testing.T, s Store, kind string, st State, minor int64) Record {
	t.Helper()
	var r Record
	err := s.Update(context.Background(), func(tx Tx) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		r = Record{Seq: seq, TxnID: TxnID("T-1", seq), Kind: kind, State: st,
			Amount: money.Amount{Minor: minor, Currency: "EUR"}, CreatedAt: t0, ApprovedAt: t0.Add(time.Duration(seq) * time.Minute)}
		return putVia(t, tx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConformance(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("sequence is monotonic and ids are derived from it", func(t *testing.T) {
				s := open(t)
				a := newRecord(t, s, protocol.KindOnline, StateWaiting, 100)
				b := newRecord(t, s, protocol.KindOnline, StateWaiting, 100)
				if b.Seq != a.Seq+1 || b.TxnID != "T-1-000000002" {
					t.Fatalf("sequences %d, %d; id %s", a.Seq, b.Seq, b.TxnID)
				}
			})
			t.Run("failed update keeps nothing, not even the sequence", func(t *testing.T) {
				s := open(t)
				boom := errors.New("boom")
				err := s.Update(ctx, func(tx Tx) error {
					seq, _ := tx.NextSeq()
					tx.Put(Record{Seq: seq, TxnID: TxnID("T-1", seq), State: StateQueued, Kind: protocol.KindOffline})
					tx.MarkSeen("code", TxnID("T-1", seq), time.Time{})
					return boom
				})
				if !errors.Is(err, boom) {
					t.Fatalf("got %v", err)
				}
				s.View(ctx, func(tx Tx) error {
					if _, err := tx.Get("T-1-000000001"); !errors.Is(err, ErrNotFound) {
						t.Errorf("rolled-back record visible: %v", err)
					}
					if n, _ := tx.OutboxLen(); n != 0 {
						t.Errorf("outbox has %d after rollback", n)
					}
					return nil
				})
				r := newRecord(t, s, protocol.KindOnline, StateWaiting, 1)
				if r.Seq != 1 {
					t.Errorf("sequence after rollback = %d, want 1", r.Seq)
				}
				s.Update(ctx, func(tx Tx) error {
					if _, seen, _ := tx.MarkSeen("code", "x", time.Time{}); seen {
						t.Error("rolled-back seen code is remembered")
					}
					return nil
				})
			})
			t.Run("outbox follows state, in sequence order", func(t *testing.T) {
				s := open(t)
				a := newRecord(t, s, protocol.KindOffline, StateQueued, 100)
				newRecord(t, s, protocol.KindOnline, StateApproved, 200)
				c := newRecord(t, s, protocol.KindVoid, StateQueued, 0)
				d := newRecord(t, s, protocol.KindOffline, StateQueued, 300)
				s.View(ctx, func(tx Tx) error {
					out, err := tx.Outbox(2)
					if err != nil || len(out) != 2 || out[0].TxnID != a.TxnID || out[1].TxnID != c.TxnID {
						t.Fatalf("outbox(2) = %v, %v", out, err)
					}
					if n, _ := tx.OutboxLen(); n != 3 {
						t.Fatalf("outbox len %d, want 3", n)
					}
					e, _ := tx.Exposure("EUR")
					if e.Count != 2 || e.Total != 400 || !e.Oldest.Equal(a.ApprovedAt) {
						t.Fatalf("exposure %+v", e)
					}
					if e, _ := tx.Exposure("USD"); e.Count != 0 {
						t.Fatalf("USD exposure %+v", e)
					}
					return nil
				})
				a.State = StateSettled
				if err := s.Update(ctx, func(tx Tx) error { return tx.Put(a) }); err != nil {
					t.Fatal(err)
				}
				s.View(ctx, func(tx Tx) error {
					out, _ := tx.Outbox(0)
					if len(out) != 2 || out[0].TxnID != c.TxnID || out[1].TxnID != d.TxnID {
						t.Fatalf("outbox after settle = %v", out)
					}
					got, err := tx.Get(a.TxnID)
					if err != nil || got.State != StateSettled {
						t.Fatalf("get = %+v, %v", got, err)
					}
					return nil
				})
			})
			t.Run("open records", func(t *testing.T) {
				s := open(t)
				w := newRecord(t, s, protocol.KindOnline, StateWaiting, 1)
				newRecord(t, s, protocol.KindOnline, StateDeclined, 1)
				sn := newRecord(t, s, protocol.KindOnline, StateSending, 1)
				s.View(ctx, func(tx Tx) error {
					open, err := tx.OpenRecords()
					if err != nil || len(open) != 2 || open[0].TxnID != w.TxnID || open[1].TxnID != sn.TxnID {
						t.Fatalf("open = %v, %v", open, err)
					}
					return nil
				})
			})
			t.Run("seen codes", func(t *testing.T) {
				s := open(t)
				s.Update(ctx, func(tx Tx) error {
					if _, seen, err := tx.MarkSeen("k1", "A", t0); seen || err != nil {
						t.Fatalf("first mark: seen=%v err=%v", seen, err)
					}
					return nil
				})
				s.Update(ctx, func(tx Tx) error {
					earlier, seen, err := tx.MarkSeen("k1", "B", t0)
					if !seen || earlier != "A" || err != nil {
						t.Fatalf("second mark: %q %v %v", earlier, seen, err)
					}
					return nil
				})
			})
			t.Run("recent is newest first and pages", func(t *testing.T) {
				s := open(t)
				for i := 0; i < 5; i++ {
					newRecord(t, s, protocol.KindOnline, StateApproved, int64(i+1))
				}
				s.View(ctx, func(tx Tx) error {
					page, err := tx.Recent(0, 2)
					if err != nil || len(page) != 2 || page[0].Seq != 5 || page[1].Seq != 4 {
						t.Fatalf("page 1 = %v, %v", page, err)
					}
					page, _ = tx.Recent(page[1].Seq, 10)
					if len(page) != 3 || page[0].Seq != 3 || page[2].Seq != 1 {
						t.Fatalf("page 2 = %v", page)
					}
					if page, _ = tx.Recent(99, 1); len(page) != 1 || page[0].Seq != 5 {
						t.Fatalf("before past the end = %v", page)
					}
					return nil
				})
			})
			t.Run("put without identity is refused", func(t *testing.T) {
				s := open(t)
				if err := s.Update(ctx, func(tx Tx) error { return tx.Put(Record{}) }); err == nil {
					t.Fatal("empty record stored")
				}
			})
			t.Run("cancelled context", func(t *testing.T) {
				s := open(t)
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				if err := s.Update(cctx, func(Tx) error { return nil }); !errors.Is(err, context.Canceled) {
					t.Fatalf("got %v", err)
				}
			})
			t.Run("closed", func(t *testing.T) {
				s := open(t)
				s.Close()
				if err := s.Update(ctx, func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
					t.Fatalf("got %v", err)
				}
			})
			pruneConformance(t, open)
		})
	}
}
