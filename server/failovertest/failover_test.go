package failovertest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// bins is the settlementd binary the tests run, built once by TestMain.
var bins = loadtest.NewBinaries(filepath.Join("..", ".."), "settlementd")

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips: build nothing
	}
	os.Exit(bins.RunTests(m))
}

// instances is how many settlementd processes share the database (issue 18).
const instances = 3

// shape is issue 18's run: 64 terminals, 8 of them sending batches, 30% of requests twice; the
// node is killed once 40% of the requests are answered. Every single payment is sent again after.
var shape = func() loadtest.Shape {
	s := loadtest.Standard().WithCodes(300, 40_000)
	s.PaymentsPerTerminal, s.BatchSize, s.ResendOneIn, s.Seed = 24, 25, 1, 18
	return s
}()

// TestPrimaryKilled: the primary is killed with SIGKILL mid-run; pg_auto_failover promotes the
// synchronous standby; settlementd reconnects through its multi-host connection string and the run
// goes on. Every approval a terminal received is in the ledger exactly once, the merchant holds
// exactly their sum, nothing is negative and admin check passes. It logs the failover gap and the
// retries (docs/scaling.md records them).
func TestPrimaryKilled(t *testing.T) {
	c := startCluster(t, requireTools(t))
	res := runChaos(t, c, func() { c.kill(c.node("n1")) })
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	c.waitState(ctx, "n2", "wait_primary", "primary")
	if res.retries.Requests == 0 {
		t.Fatal("no request had to be sent again: the kill did not reach the run")
	}
	t.Logf("primary killed: failover gap %.1f s with no approval; %d requests retried (%d extra sends, %d answers 503)",
		res.gap.Seconds(), res.retries.Requests, res.retries.Sends, res.retries.Unavailable)
}

// TestStandbyKilled: the synchronous standby is killed mid-run. Commits wait for it until the
// monitor declares it unhealthy and moves the primary to wait_primary (synchronous replication off),
// then approvals go on; nothing approved is lost.
func TestStandbyKilled(t *testing.T) {
	c := startCluster(t, requireTools(t))
	res := runChaos(t, c, func() { c.kill(c.node("n2")) })
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	c.waitState(ctx, "n1", "wait_primary")
	t.Logf("standby killed: longest gap %.1f s with no approval; %d requests retried (%d extra sends, %d answers 503)",
		res.gap.Seconds(), res.retries.Requests, res.retries.Sends, res.retries.Unavailable)
}

// result is what a chaos run measured.
type result struct {
	gap     time.Duration // longest time with no approval after the kill
	retries loadtest.RetryStats
}

// runChaos starts three settlementd instances on c, runs the workload, calls kill at the midway
// point, and checks the outcome.
func runChaos(t *testing.T, c *cluster, kill func()) result {
	ctx := context.Background()
	nodes := make([]*loadtest.Process, instances)
	config := func(i int) loadtest.Config {
		return loadtest.Config{Binary: bins.Path("settlementd"), Name: fmt.Sprintf("node%d", i),
			Data: filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i)), Store: c.DSN()}
	}
	// The first instance creates the schema and the keys; the others start with copies of the keys.
	nodes[0] = loadtest.StartT(t, config(0))
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := 1; i < instances; i++ {
		cfg := config(i)
		if err := loadtest.CopyKeys(nodes[0].Data, cfg.Data); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { nodes[i], errs[i] = loadtest.Start(ctx, cfg) })
	}
	wg.Wait()
	for _, n := range nodes {
		if n != nil {
			t.Cleanup(func() {
				n.Kill()
				if t.Failed() {
					t.Logf("--- %s output:\n%s", n.Name, tail(n.Output(), 30))
				}
			})
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	tok, err := nodes[0].AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := loadtest.Setup(ctx, loadtest.NewCluster(nodes...), tok, shape)
	if err != nil {
		t.Fatal(err)
	}

	book := loadtest.NewBook()
	var killedAt time.Time
	err = fleet.Run(ctx, book, func() {
		killedAt = time.Now()
		kill()
		t.Logf("node killed with SIGKILL after %d of %d requests", fleet.Sent(), fleet.Requests())
	})
	if err != nil {
		t.Fatal(err)
	}
	res := result{gap: book.LongestGap(killedAt), retries: fleet.Retried()}
	if _, err := fleet.Resend(ctx, book); err != nil {
		t.Fatal(err)
	}

	if err := loadtest.CheckBalancesOn(ctx, book, nodes...); err != nil {
		t.Fatal(err)
	}
	ac, err := nodes[1].AdminClient(&http.Client{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.CheckLedger(ctx, ac, book); err != nil {
		t.Fatal(err)
	}
	rep, err := nodes[2].Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := book.CheckExercised(fleet.Requests()); err != nil {
		t.Fatal(err)
	}
	approved, sum := book.Approved()
	t.Logf("%d keys answered, %d approved for %d minor, each in the ledger once; check: %d entries, %d transactions",
		book.Keys(), approved, sum, rep.Entries, rep.Transactions)
	return res
}
