package localapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
	"github.com/stillpay/stillpay/terminal/queue/queuetest"
)

// TestPruneOverHTTP: POST /v1/queue-prune applies the agent's retention (dry run first), and keeps
// what is still to be forwarded.
func TestPruneOverHTTP(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-40 * 24 * time.Hour)
	store := queue.NewMemory()
	ctx := context.Background()
	var settled, queued string
	err := store.Update(ctx, func(tx queue.Tx) error {
		for _, st := range []queue.State{queue.StateSettled, queue.StateQueued} {
			seq, err := tx.NextSeq()
			if err != nil {
				return err
			}
			r := queue.Record{Seq: seq, TxnID: queue.TxnID("T-1", seq), Kind: protocol.KindOffline, State: st,
				Amount: money.Amount{Minor: 100, Currency: "EUR"}, CreatedAt: old, UpdatedAt: old}
			if err := queuetest.Put(tx, r); err != nil {
				return err
			}
			if st == queue.StateSettled {
				settled = r.TxnID
			} else {
				queued = r.TxnID
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ag := agent.New(agent.Options{Store: store, Server: decliningServer{}, Verifier: offline.NewVerifier(nil, protocol.TerminalLimits{}, false),
		Identity: config.IdentityState{TerminalID: "T-1"}, Currency: "EUR", Clock: clocktest.NewFake(now)})
	t.Cleanup(ag.Close)
	srv := httptest.NewServer(NewServer(Deps{Agent: ag, Store: store, Currency: "EUR", Clock: clocktest.NewFake(now)}))
	defer srv.Close()
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))

	res, err := c.Prune(ctx, true)
	if err != nil || !res.DryRun || res.Records != 1 || res.ByState[queue.StateSettled] != 1 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if _, err := c.QueueItem(ctx, settled); err != nil {
		t.Fatalf("dry run removed %s: %v", settled, err)
	}
	res, err = c.Prune(ctx, false)
	if err != nil || res.DryRun || res.Records != 1 {
		t.Fatalf("prune: %+v, %v", res, err)
	}
	if _, err := c.QueueItem(ctx, settled); !errors.Is(err, &protocol.Problem{Code: protocol.CodeNotFound}) {
		t.Fatalf("pruned item: %v", err)
	}
	if it, err := c.QueueItem(ctx, queued); err != nil || it.State != queue.StateQueued {
		t.Fatalf("queued item after prune: %+v, %v", it, err)
	}

	resp, err := http.Post(srv.URL+PathPrune+"?dry_run=maybe", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("dry_run=maybe: status %d", resp.StatusCode)
	}
}
