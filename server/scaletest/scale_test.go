package scaletest

import (
	"context"
	"testing"

	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
)

// Issue 6 asks for 3 instances on one database, one of them killed in the middle and restarted.
const (
	instances = 3
	victim    = 1 // the instance killed in the middle
)

// shape is issue 3's run spread over the instances; every single payment is sent again after it.
var shape = func() loadtest.Shape {
	s := loadtest.Standard().WithCodes(300, 40_000)
	s.PaymentsPerTerminal, s.BatchSize, s.ResendOneIn, s.Seed = 12, 25, 1, 66
	return s
}()

// TestScaleOutSurvivesKill is issue 6's "done when": three settlementd instances on one PostgreSQL
// database; 64 terminals send payments and batches to random instances, 30% of them twice (to random
// instances, the second often while the first is in flight); one instance is killed with SIGKILL in
// the middle and restarted. Every key must get one answer (byte-identical whichever instance gives
// it), the merchant must hold exactly the approved amounts on every instance, no balance may be
// negative, and `settlementd admin check` must pass on the restarted instance.
func TestScaleOutSurvivesKill(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()

	nodes := startInstances(t, dsn, instances)
	cluster := loadtest.NewCluster(nodes...)

	tok, err := nodes[0].AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := loadtest.Setup(ctx, cluster, tok, shape)
	if err != nil {
		t.Fatal(err)
	}

	book := loadtest.NewBook()
	err = fleet.Run(ctx, book, func() {
		old := nodes[victim]
		old.Kill()
		t.Logf("killed %s with SIGKILL after %d of %d requests", old.Name, fleet.Sent(), fleet.Requests())
		nodes[victim] = loadtest.StartT(t, old.Config)
		cluster.Replace(old, nodes[victim])
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every single payment once more, to a random instance: the stored answer, byte for byte.
	if _, err := fleet.Resend(ctx, book); err != nil {
		t.Fatal(err)
	}
	if err := loadtest.CheckBalancesOn(ctx, book, nodes...); err != nil {
		t.Fatal(err)
	}
	rep, err := nodes[victim].Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	approved, sum := book.Approved()
	t.Logf("%d keys answered, %d approved for %d minor; check: %d entries, %d transactions",
		book.Keys(), approved, sum, rep.Entries, rep.Transactions)
	if err := book.CheckExercised(fleet.Requests()); err != nil {
		t.Fatal(err)
	}
}
