package pgstore_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
)

// The benchmarks spread payments over benchUsers funded authorizations of benchCodes codes each.
const (
	benchUsers = 100
	benchCodes = 5000
)

// BenchmarkApplyPayments measures the store alone (no HTTP, no signatures): approved payments per
// second for calls of 1, 100 and 1,000 ops, with 64 concurrent callers for single ops as the server
// sees them under 64 terminals.
func BenchmarkApplyPayments(b *testing.B) {
	for _, tc := range []struct {
		name       string
		size, conc int
	}{{"single-64conc", 1, 64}, {"batch100-8conc", 100, 8}, {"batch1000-2conc", 1000, 2}} {
		b.Run(tc.name, func(b *testing.B) {
			s := openBench(b)
			var mu sync.Mutex
			next := 0
			take := func() (string, uint64) {
				mu.Lock()
				defer mu.Unlock()
				n := next
				next++
				return fmt.Sprintf("Z%d", n%benchUsers), uint64(n / benchUsers)
			}
			calls := b.N
			if calls*tc.size > benchUsers*benchCodes {
				b.Fatalf("%d payments need more than the %d codes set up", calls*tc.size, benchUsers*benchCodes)
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			work := make(chan int, calls)
			for i := range calls {
				work <- i
			}
			close(work)
			for range tc.conc {
				wg.Go(func() {
					for i := range work {
						ops := make([]store.PaymentOp, tc.size)
						for j := range ops {
							auth, counter := take()
							ops[j] = payment("T1", fmt.Sprintf("c%d-%d", i, j), auth, counter, 1)
						}
						outs, err := s.ApplyPayments(b.Context(), ops)
						if err != nil {
							b.Error(err)
							return
						}
						for _, o := range outs {
							if !o.Approved() {
								b.Errorf("%s: %s %s", o.Key, o.Status, o.Code)
								return
							}
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(calls*tc.size)/b.Elapsed().Seconds(), "payments/s")
			b.Logf("%+v", s.Stats())
		})
	}
}

func openBench(b *testing.B) *pgstore.Store {
	b.Helper()
	dsn := pgtest.DSN(b)
	s, err := pgstore.Open(b.Context(), dsn, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	setupShopTB(b, s, benchUsers, 100*benchCodes, 100, benchCodes)
	return s
}

// BenchmarkGetTxnConcurrent is what a service checking 64 batches' keys one at a time asks of the
// store: 64 goroutines, each looking up keys one after another (half of them exist).
func BenchmarkGetTxnConcurrent(b *testing.B) {
	s := openBench(b)
	const callers = 64
	ops := make([]store.PaymentOp, 1000)
	for i := range ops {
		ops[i] = payment("T1", fmt.Sprintf("k%d", i), fmt.Sprintf("Z%d", i%benchUsers), uint64(i/benchUsers), 1)
	}
	if _, err := s.ApplyPayments(b.Context(), ops); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/callers + 1
	for c := range callers {
		wg.Go(func() {
			for i := range per {
				key := store.TxnKey{TerminalID: "T1", TerminalTxnID: fmt.Sprintf("k%d", (c*per+i)%2000)}
				if _, err := s.GetTxn(b.Context(), key); err != nil && !errors.Is(err, store.ErrNotFound) {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(per*callers)/b.Elapsed().Seconds(), "lookups/s")
}
