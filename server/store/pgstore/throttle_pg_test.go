package pgstore_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestThrottleAcrossInstances: wrong codes for one user sent concurrently to two settlementd
// instances on one database, singly and in batches, have exactly the user's window limit judged. The
// lock check and the failure count are one SERIALIZABLE transaction per group; a group that read a
// count another instance changed is retried.
func TestThrottleAcrossInstances(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := openDSN(t, dsn, pgstore.Options{})
	b := openDSN(t, dsn, pgstore.Options{})
	setupShop(t, a, 1, 1_000_000)
	ctx := t.Context()
	at := t0.Add(time.Hour)
	limits := store.Throttle{Since: at.Add(-15 * time.Minute), User: store.CodeLimits{PerWindow: 5, PerDay: 10}, Terminal: store.CodeLimits{PerWindow: 1000, PerDay: 1000}}
	guess := func(id string) store.PaymentOp {
		op := payment("T1", id, "Z0", 1, 100)
		op.UserID = "U0"
		op.Decline = &store.Decline{Code: protocol.CodeCodeInvalid, Message: "wrong code", CountFailure: true}
		th := limits
		op.Throttle = &th
		return op
	}
	const callers = 32
	var judged, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		s := []*pgstore.Store{a, b}[i%2]
		wg.Go(func() {
			ops := []store.PaymentOp{guess(fmt.Sprintf("g%d", i))}
			if i%4 == 0 { // some callers send a batch of 10
				for j := 1; j < 10; j++ {
					ops = append(ops, guess(fmt.Sprintf("g%d-%d", i, j)))
				}
			}
			outs, err := s.ApplyPayments(ctx, ops)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
				return
			}
			for _, o := range outs {
				switch {
				case errors.Is(o.Err, store.ErrThrottled):
					refused.Add(1)
				case o.Code == protocol.CodeCodeInvalid:
					judged.Add(1)
				default:
					t.Errorf("caller %d: %+v", i, o)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("two instances, %d guesses: %d judged, %d refused (retries a %d, b %d)", judged.Load()+refused.Load(), judged.Load(), refused.Load(), a.Stats().Retries, b.Stats().Retries)
	if judged.Load() != 5 {
		t.Errorf("%d guesses judged across two instances, want the window limit 5", judged.Load())
	}
	c, err := b.CodeFailures(ctx, store.Subject{Kind: store.SubjectUser, ID: "U0"}, at.Add(-time.Minute), at)
	if err != nil || c.InWindow != 5 {
		t.Errorf("failures counted %+v (%v), want 5", c, err)
	}
}
