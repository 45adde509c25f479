package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
	"github.com/stillpay/stillpay/terminal/queue/queuetest"
)

// pruneLane is a provisioned terminal directory: identity, config and a queue file holding, 40 days
// old, one settled sale, one refused item and one queued item.
type pruneLane struct {
	config, queuePath string
	settled, refused  string
	queued            string
}

func newPruneLane(t *testing.T, listen string) *pruneLane {
	t.Helper()
	dir := t.TempDir()
	l := &pruneLane{config: filepath.Join(dir, "posagent.yaml"), queuePath: filepath.Join(dir, "queue.db")}
	if err := config.SaveIdentity(filepath.Join(dir, "identity.json"), config.IdentityState{TerminalID: "T-1", ServerKeys: paytest.NewIssuer().ServerKeys()}); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("queue: {path: queue.db, keep_settled: 720h}\nscanner: {type: none}\nprinter: {type: none}\nlocal_api: {listen: %q}\n", listen)
	if err := os.WriteFile(l.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := queue.OpenBolt(l.queuePath, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	old := time.Now().Add(-40 * 24 * time.Hour)
	for _, st := range []queue.State{queue.StateSettled, queue.StateRefused, queue.StateQueued} {
		id := putOld(t, store, st, old)
		switch st {
		case queue.StateSettled:
			l.settled = id
		case queue.StateRefused:
			l.refused = id
		default:
			l.queued = id
		}
	}
	return l
}

func putOld(t *testing.T, store queue.Store, st queue.State, at time.Time) string {
	t.Helper()
	var id string
	err := store.Update(context.Background(), func(tx queue.Tx) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		id = queue.TxnID("T-1", seq)
		return queuetest.Put(tx, queue.Record{Seq: seq, TxnID: id, Kind: protocol.KindOffline, State: st,
			Amount: money.Amount{Minor: 100, Currency: "EUR"}, CreatedAt: at, UpdatedAt: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// closedAddr is a loopback address nothing listens on: no agent runs.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func posagent(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main(args, &out, &errOut); code != 0 {
		t.Fatalf("posagent %v: exit %d\n%s%s", args, code, out.String(), errOut.String())
	}
	return out.String()
}

func stored(t *testing.T, path string, ids ...string) map[string]bool {
	t.Helper()
	store, err := queue.OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	out := map[string]bool{}
	store.View(context.Background(), func(tx queue.Tx) error {
		for _, id := range ids {
			_, err := tx.Get(id)
			out[id] = err == nil
		}
		return nil
	})
	return out
}

func TestQueuePruneOnTheFile(t *testing.T) {
	l := newPruneLane(t, closedAddr(t))
	out := posagent(t, "queue", "prune", "--dry-run", "--config", l.config)
	if !strings.Contains(out, "would remove 1 record(s) (settled 1,") || !strings.Contains(out, "kept 1 refused item(s)") {
		t.Fatalf("dry run output:\n%s", out)
	}
	if got := stored(t, l.queuePath, l.settled); !got[l.settled] {
		t.Fatal("--dry-run removed a record")
	}
	out = posagent(t, "queue", "prune", "--config", l.config)
	if !strings.Contains(out, "removed 1 record(s) (settled 1,") {
		t.Fatalf("prune output:\n%s", out)
	}
	got := stored(t, l.queuePath, l.settled, l.refused, l.queued)
	if got[l.settled] || !got[l.refused] || !got[l.queued] {
		t.Fatalf("after prune: %v (settled %s goes; refused %s and queued %s stay)", got, l.settled, l.refused, l.queued)
	}
}

// TestQueuePruneThroughTheAgent: with an agent answering on the local API, the command goes
// through it (the test holds the queue file open, as the agent does, so the file path would fail
// with ErrLocked).
func TestQueuePruneThroughTheAgent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newPruneLane(t, ln.Addr().String())
	store, err := queue.OpenBolt(l.queuePath, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ag := agent.New(agent.Options{Store: store, Verifier: offline.NewVerifier(nil, protocol.TerminalLimits{}, false),
		Identity: config.IdentityState{TerminalID: "T-1"}, Currency: "EUR", KeepSettled: 720 * time.Hour})
	defer ag.Close()
	srv := &http.Server{Handler: localapi.NewServer(localapi.Deps{Agent: ag, Store: store, Currency: "EUR"})}
	go srv.Serve(ln)
	defer srv.Close()

	out := posagent(t, "queue", "prune", "--config", l.config)
	if !strings.Contains(out, "removed 1 record(s) (settled 1,") || !strings.Contains(out, "kept 1 refused") {
		t.Fatalf("prune output:\n%s", out)
	}
	store.View(context.Background(), func(tx queue.Tx) error {
		if _, err := tx.Get(l.settled); !errors.Is(err, queue.ErrNotFound) {
			t.Errorf("settled item after prune: %v", err)
		}
		if _, err := tx.Get(l.queued); err != nil {
			t.Errorf("queued item after prune: %v", err)
		}
		return nil
	})
}
