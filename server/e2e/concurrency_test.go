package e2e

import (
	"context"
	"testing"

	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// ccShape is issue 3's concurrency run: 64 terminals, 30% retries, 8 terminals sending batches;
// a third of the single payments are sent again after the run.
var ccShape = func() loadtest.Shape {
	s := loadtest.Standard().WithCodes(400, 50_000)
	s.PaymentsPerTerminal, s.BatchSize, s.ResendOneIn, s.Seed = 16, 20, 3, 42
	return s
}()

// TestConcurrentTerminalsSurviveKill is issue 3's second "done when": 64 terminals pay at random, 30%
// of requests are sent again, 8 terminals send batches, and the server is killed with SIGKILL in the
// middle and restarted on the same data. Every key must have one answer, the merchant must hold
// exactly the approved amounts, no balance may be negative, and `settlementd admin check` must pass.
func TestConcurrentTerminalsSurviveKill(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	srv := startServer(t, data)
	tok, err := srv.AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	cluster := loadtest.NewCluster(srv.Process)
	fleet, err := loadtest.Setup(ctx, cluster, tok, ccShape)
	if err != nil {
		t.Fatal(err)
	}

	book := loadtest.NewBook()
	err = fleet.Run(ctx, book, func() {
		srv.Kill()
		t.Logf("killed settlementd after %d of %d requests", fleet.Sent(), fleet.Requests())
		restarted := startServer(t, data)
		cluster.Replace(srv.Process, restarted.Process)
		srv = restarted
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every answer given before or after the kill is still the stored one.
	resent, err := fleet.Resend(ctx, book)
	if err != nil {
		t.Fatal(err)
	}
	if err := book.CheckBalances(srv.balances()); err != nil {
		t.Fatal(err)
	}
	rep := srv.check()
	approved, sum := book.Approved()
	t.Logf("%d keys answered, %d approved for %d minor, %d resent after the run; check: %d entries, %d transactions",
		book.Keys(), approved, sum, resent, rep.Entries, rep.Transactions)
	if err := book.CheckExercised(fleet.Requests()); err != nil {
		t.Fatal(err)
	}
}
