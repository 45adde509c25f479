package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

func (f *fakeServer) setMode(mode string) {
	f.mu.Lock()
	f.mode = mode
	f.mu.Unlock()
}

func seenCount(t *testing.T, s queue.Store) int {
	t.Helper()
	n := 0
	s.View(context.Background(), func(tx queue.Tx) error {
		codes, err := tx.SeenCodes("", 1000)
		if err != nil {
			t.Fatal(err)
		}
		n = len(codes)
		return nil
	})
	return n
}

// TestRetentionWithAMovingClock runs sales, then moves the clock a month on: seen codes go once
// their credential has expired, final sales once they are older than keep_settled, the unsent
// offline approval stays, and sequences go on.
func TestRetentionWithAMovingClock(t *testing.T) {
	clock := clocktest.NewFake(now)
	var logs bytes.Buffer
	r := newRig(t, "approve", func(_ *rig, o *Options) {
		o.Clock, o.KeepSettled = clock, 30*24*time.Hour
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx := context.Background()
	online := r.sell(t, 100, r.wallet.Code(now))
	r.srv.setMode("down")
	offlineSale := r.sell(t, 200, r.wallet.Code(now))
	r.srv.setMode("decline")
	r.ag.ServerAnswered() // as the forwarder reports once the server answers again
	declined := r.sell(t, 300, r.wallet.Code(now))
	if online.State != SaleApproved || offlineSale.State != SaleApproved || !offlineSale.Offline || declined.State != SaleDeclined {
		t.Fatalf("sales: %+v\n%+v\n%+v", online, offlineSale, declined)
	}
	if n := seenCount(t, r.store); n != 3 {
		t.Fatalf("%d seen codes, want 3", n)
	}

	// A day on: the credential (24 hours from an hour ago) has not been expired for a whole grace
	// period yet, and the sales are recent: nothing goes.
	clock.Set(now.Add(24 * time.Hour))
	res, err := r.ag.Prune(ctx, false)
	if err != nil || res.Records != 0 || res.SeenCodes != 0 {
		t.Fatalf("prune after a day: %+v, %v", res, err)
	}

	// 29 days on: the seen codes can no longer matter (an expired credential is refused offline
	// anyway), the sales are still kept.
	clock.Set(now.Add(29 * 24 * time.Hour))
	res, err = r.ag.Prune(ctx, false)
	if err != nil || res.Records != 0 || res.SeenCodes != 3 {
		t.Fatalf("prune after 29 days: %+v, %v", res, err)
	}
	if _, err := r.ag.ReceiptText(ctx, online.ID); err != nil {
		t.Fatalf("receipt of a 29-day-old sale: %v", err)
	}

	// 31 days on: the approved and the declined sale go; the offline approval was never forwarded
	// (no forwarder here), so it stays.
	clock.Set(now.Add(31 * 24 * time.Hour))
	dry, err := r.ag.Prune(ctx, true)
	if err != nil || !dry.DryRun || dry.Records != 2 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, err := r.ag.ReceiptText(ctx, online.ID); err != nil {
		t.Fatalf("a dry run removed a sale: %v", err)
	}
	res, err = r.ag.Prune(ctx, false)
	if err != nil || res.Records != 2 || res.ByState[queue.StateApproved] != 1 || res.ByState[queue.StateDeclined] != 1 {
		t.Fatalf("prune after 31 days: %+v, %v", res, err)
	}
	if _, err := r.ag.ReceiptText(ctx, online.ID); !errors.Is(err, ErrNoSale) {
		t.Fatalf("receipt of a pruned sale: %v, want ErrNoSale", err)
	}
	if _, err := r.ag.Reprint(ctx, declined.ID, false); !errors.Is(err, ErrNoSale) {
		t.Fatalf("reprint of a pruned sale: %v, want ErrNoSale", err)
	}
	if out := r.outbox(t); len(out) != 1 || out[0].TxnID != offlineSale.ID {
		t.Fatalf("outbox after prune: %+v", out)
	}
	recent, err := r.ag.Recent(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].ID != offlineSale.ID {
		t.Fatalf("recent after prune: %+v, %v", recent, err)
	}

	// The log says how many, never which or whose.
	var pruned []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "queue pruned") {
			pruned = append(pruned, l)
		}
	}
	line := strings.Join(pruned, "\n")
	if len(pruned) != 2 || !strings.Contains(line, "records=2") || !strings.Contains(line, "seen_codes=3") {
		t.Fatalf("prune log:\n%s", line)
	}
	for _, secret := range []string{online.ID, declined.ID, "a***e", "A-1/"} {
		if strings.Contains(line, secret) {
			t.Fatalf("prune log names %q:\n%s", secret, line)
		}
	}

	// Sequences go on past the pruned ones.
	r.srv.setMode("approve")
	w := r.iss.Authorize("bob", "A-2", "EUR", 5000, 5, clock.Now().Add(-time.Hour), 24*time.Hour)
	next := r.sell(t, 100, w.Code(clock.Now()))
	if next.State != SaleApproved || next.ID <= declined.ID {
		t.Fatalf("sale after prune: %+v (last pruned %s)", next, declined.ID)
	}
}

// TestRunRetentionPrunesAtStart: the background loop prunes as soon as it starts, then waits for
// the next interval; it stops with its context.
func TestRunRetentionPrunesAtStart(t *testing.T) {
	clock := clocktest.NewFake(now)
	r := newRig(t, "decline", func(_ *rig, o *Options) { o.Clock = clock })
	v := r.sell(t, 100, r.wallet.Code(now))
	if v.State != SaleDeclined || v.Code != protocol.CodeInsufficientFunds {
		t.Fatalf("sale: %+v", v)
	}
	clock.Set(now.Add(queue.DefaultKeepSettled + time.Hour))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.ag.RunRetention(ctx)
	}()
	deadline := time.After(10 * time.Second) // a bound on a hang, not a speed requirement
	for {
		gone := false
		r.store.View(context.Background(), func(tx queue.Tx) error {
			_, err := tx.Get(v.ID)
			gone = errors.Is(err, queue.ErrNotFound)
			return nil
		})
		if gone {
			break
		}
		select {
		case <-deadline:
			t.Fatal("RunRetention did not prune at start")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	<-done
}
