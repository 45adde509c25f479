package storetest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// Sizes of the concurrency test: kept small enough for -race on two cores.
const (
	concWorkers   = 32
	concUsers     = 12
	concTerminals = 8
	concOps       = 1200 // distinct requests; about 30% more are retries
	concCodes     = 150  // codes per authorization: counters collide on purpose
)

// testConcurrency is a bank test: many goroutines send payments, voids and batches, 30% of them again
// (some at the same time as the original), and afterwards every key has exactly one answer, every
// caller saw that answer, no code paid twice, no balance is negative, the merchant holds exactly what
// the recorded transactions say, and Check passes.
func testConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.merchant("M1", "EUR")
	for i := range concTerminals {
		f.terminal(fmt.Sprintf("T%d", i), "M1")
	}
	for i := range concUsers {
		u := fmt.Sprintf("U%d", i)
		f.user(u)
		f.account("A"+u, u, "EUR", 200_000)
		f.auth("Z"+u, u, "A"+u, "EUR", 1000, concCodes, t0.Add(24*time.Hour))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	at := t0.Add(time.Hour)
	var ops []store.PaymentOp
	for i := range concOps {
		term := fmt.Sprintf("T%d", rng.IntN(concTerminals))
		u := fmt.Sprintf("U%d", rng.IntN(concUsers))
		id := fmt.Sprintf("x%d", i)
		switch r := rng.IntN(10); {
		case r == 0 && i > 0:
			// Void an earlier id of this terminal, which may not have arrived yet.
			ops = append(ops, void(term, id, fmt.Sprintf("x%d", rng.IntN(i)), at))
		case r < 4:
			ops = append(ops, offline(pay(term, id, "Z"+u, uint64(rng.IntN(concCodes)), eur(int64(1+rng.IntN(1000))), at), at.Add(-time.Minute)))
		default:
			ops = append(ops, pay(term, id, "Z"+u, uint64(rng.IntN(concCodes)), eur(int64(1+rng.IntN(3000))), at))
		}
	}
	// Calls: one op, or a batch of up to 20; 30% of the ops are sent again in another call.
	var calls [][]store.PaymentOp
	for i := 0; i < len(ops); {
		n := 1
		if rng.IntN(4) == 0 {
			n = 1 + rng.IntN(20)
		}
		calls = append(calls, ops[i:min(i+n, len(ops))])
		i += n
	}
	for _, op := range ops {
		if rng.IntN(10) < 3 {
			calls = append(calls, []store.PaymentOp{op})
		}
	}
	rng.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })

	var mu sync.Mutex
	seen := map[store.TxnKey][]store.Outcome{}
	var wg sync.WaitGroup
	work := make(chan []store.PaymentOp)
	for range concWorkers {
		wg.Go(func() {
			for call := range work {
				outs, err := f.s.ApplyPayments(f.ctx, call)
				if err != nil {
					t.Errorf("ApplyPayments: %v", err)
					continue
				}
				mu.Lock()
				for i, o := range outs {
					if o.Err != nil {
						t.Errorf("op %s: %v", call[i].Key, o.Err)
					}
					o.Replayed = false
					seen[call[i].Key] = append(seen[call[i].Key], o)
				}
				mu.Unlock()
			}
		})
	}
	for _, c := range calls {
		work <- c
	}
	close(work)
	wg.Wait()

	// Every caller of a key saw the one stored answer (tombstoned keys: the tombstone's answer once a void
	// got there first; the payment's own answer otherwise).
	var merchantWant int64
	usedCodes := map[string]map[uint64]bool{}
	approvedPerAuth := map[string]int{}
	for _, op := range ops {
		txn, err := f.s.GetTxn(f.ctx, op.Key)
		if err != nil {
			t.Fatalf("GetTxn(%s): %v", op.Key, err)
		}
		for _, o := range seen[op.Key] {
			if !reflect.DeepEqual(o, txn.Outcome) {
				t.Errorf("key %s: a caller saw %+v, stored %+v", op.Key, o, txn.Outcome)
				break
			}
		}
		if op.Kind == store.OpPayment && txn.Approved() && !txn.Tombstone {
			if usedCodes[op.AuthorizationID] == nil {
				usedCodes[op.AuthorizationID] = map[uint64]bool{}
			}
			if usedCodes[op.AuthorizationID][op.CodeCounter] {
				t.Errorf("code %d of %s paid twice", op.CodeCounter, op.AuthorizationID)
			}
			usedCodes[op.AuthorizationID][op.CodeCounter] = true
			approvedPerAuth[op.AuthorizationID]++
			if txn.VoidedBy == "" {
				merchantWant += txn.Amount.Minor
			}
		}
	}
	f.wantBalances(map[string]int64{store.MerchantAccountID("M1"): merchantWant})
	for i := range concUsers {
		id := fmt.Sprintf("ZU%d", i)
		z, err := f.s.GetAuthorization(f.ctx, id)
		if err != nil || z.UsedCodes != approvedPerAuth[id] {
			t.Errorf("%s: UsedCodes %d, approved payments %d (%v)", id, z.UsedCodes, approvedPerAuth[id], err)
		}
	}
	rep := f.check()
	if rep.Txns < len(ops) {
		t.Errorf("Check counted %d txns for %d keys", rep.Txns, len(ops))
	}
}
