package boltstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
)

// Benchmark shape, as the issue sets it: 64 concurrent callers (terminals), against a baseline of one
// fsync'd bbolt Update per payment measured in the same run on the same disk. The customers are as in
// life: many authorizations of benchCodesPerAuth offline codes each, every payment on a different one
// than the payments around it.
const (
	benchCallers       = 64
	benchBaselineOps   = 400
	benchCapPerPayment = 100
	benchCodesPerAuth  = 50
)

var benchAt = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// benchWorld says how payments map to authorizations.
type benchWorld struct{ auths int }

// benchStore opens a store seeded for n payments (and one more, the baseline's sample).
func benchStore(b *testing.B, n int) (*Store, benchWorld) {
	b.Helper()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	w := benchWorld{auths: n/benchCodesPerAuth + 2}
	seedBench(b, s, benchCallers, w)
	return s, w
}

// seedBench gives s one merchant; per caller a terminal, a user and a funded account; and w.auths
// authorizations spread over the users, created concurrently (group commit makes that quick).
func seedBench(tb testing.TB, s *Store, callers int, w benchWorld) {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			tb.Error(err)
		}
	}
	_, err := s.CreateMerchant(ctx, store.Merchant{ID: "M", Currency: "EUR"})
	must(err)
	hold := int64(benchCapPerPayment * benchCodesPerAuth)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			id := fmt.Sprint(i)
			_, err := s.CreateTerminal(ctx, store.Terminal{ID: "T" + id, MerchantID: "M", EnrollCodeHash: []byte("code" + id)})
			must(err)
			_, err = s.EnrollTerminal(ctx, store.Enrollment{CodeHash: []byte("code" + id), PublicKey: make([]byte, 32), At: benchAt})
			must(err)
			_, err = s.CreateUser(ctx, store.User{ID: "U" + id, PasswordHash: "h"})
			must(err)
			_, err = s.CreateAccount(ctx, store.Account{ID: "A" + id, OwnerID: "U" + id, Currency: "EUR"}, hold*int64(w.auths/callers+1), benchAt)
			must(err)
			for k := i; k < w.auths; k += callers {
				_, err = s.CreateAuthorization(ctx, store.Authorization{ID: fmt.Sprintf("Z%07d", k), UserID: "U" + id, AccountID: "A" + id,
					Currency: "EUR", CapPerPayment: benchCapPerPayment, MaxCodes: benchCodesPerAuth, DevicePublicKey: make([]byte, 32),
					SealedSecret: make([]byte, 48), Credential: make([]byte, 200), KeyID: "k-2026-03", CreatedAt: benchAt,
					ExpiresAt: benchAt.Add(24 * time.Hour)})
				must(err)
			}
		})
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}
}

// op is payment number i, sent by caller (terminal) c, shaped like a real one (ids, hash, approval
// fields). Consecutive payments use different authorizations; each (authorization, code) once.
func (w benchWorld) op(c, i int) store.PaymentOp {
	term := fmt.Sprint("T", c)
	txn := fmt.Sprintf("%s-%012d", term, i)
	h := make([]byte, 32)
	copy(h, txn)
	return store.PaymentOp{
		Key:             store.TxnKey{TerminalID: term, TerminalTxnID: txn},
		RequestHash:     h,
		Kind:            store.OpPayment,
		Now:             benchAt.Add(time.Minute),
		Amount:          money.Amount{Minor: 1 + int64(i%benchCapPerPayment), Currency: "EUR"},
		AuthorizationID: fmt.Sprintf("Z%07d", i%w.auths),
		CodeCounter:     uint64(i / w.auths),
		Reference:       "register-4711",
		ApprovalID:      "ap_" + txn,
		ApprovalCode:    "4F7K2Q",
		KeyID:           "k-2026-03",
	}
}

// baseline is the reference: a plain bbolt loop, one fsync'd db.Update per payment, writing the records
// a payment writes with the same sizes (txn, journal entry, authorization with its used codes, three
// balances), with the same bbolt options as the store.
type baseline struct {
	db               *bolt.DB
	txn, entry, auth []byte
	n                int
}

var bktBaseline = []byte("b")

func newBaseline(b *testing.B, s *Store, w benchWorld) *baseline {
	b.Helper()
	ctx := context.Background()
	outs, err := s.ApplyPayments(ctx, []store.PaymentOp{w.op(0, w.auths*benchCodesPerAuth-1)})
	if err != nil || !outs[0].Approved() {
		b.Fatalf("sample payment: %v %+v", err, outs)
	}
	entries, err := s.ListEntries(ctx, store.EntryFilter{AfterID: outs[0].EntryID - 1, Limit: 1})
	if err != nil || len(entries) != 1 {
		b.Fatalf("sample entry: %v", err)
	}
	z, err := s.GetAuthorization(ctx, outs[0].AuthorizationID)
	if err != nil {
		b.Fatal(err)
	}
	halfUsed := make([]uint64, benchCodesPerAuth/2) // an authorization in the middle of its life
	for i := range halfUsed {
		halfUsed[i] = uint64(i)
	}
	bl := &baseline{
		txn:   encodeTxn(&store.Txn{Outcome: outs[0], RequestHash: make([]byte, 32)}),
		entry: encodeEntry(&entries[0]),
		auth:  encodeAuthorization(&z, halfUsed),
	}
	bl.db, err = bolt.Open(filepath.Join(b.TempDir(), "baseline.db"), 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bl.db.Close() })
	if err := bl.db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bktBaseline); return err }); err != nil {
		b.Fatal(err)
	}
	return bl
}

// run does n payments, one Update each, and returns how long they took.
func (bl *baseline) run(b *testing.B, n int) time.Duration {
	start := time.Now()
	for range n {
		i := bl.n
		bl.n++
		err := bl.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bktBaseline)
			k := fmt.Sprintf("%012d", i)
			for _, kv := range [][2][]byte{{[]byte("txn" + k), bl.txn}, {[]byte("entry" + k), bl.entry},
				{[]byte("auth"), bl.auth}, {[]byte("bal-customer"), u64(uint64(i))}, {[]byte("bal-hold"), u64(uint64(i))}, {[]byte("bal-merchant"), u64(uint64(i))}} {
				if err := bk.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// runPayments sends payments number from..to-1 from benchCallers goroutines, perCall ops per
// ApplyPayments call; with signed, per ApplySigned call with a fresh random nonce, as a signed HTTP
// request does.
func runPayments(b *testing.B, s *Store, w benchWorld, perCall, from, to int, signed bool) {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	ctx := context.Background()
	for c := range benchCallers {
		wg.Go(func() {
			var ops []store.PaymentOp // made on first use: most callers get no batch in a short round
			for {
				start := int(next.Add(int64(perCall))) - perCall
				if start >= to {
					return
				}
				if ops == nil {
					ops = make([]store.PaymentOp, 0, perCall)
				}
				ops = ops[:0]
				for i := start; i < min(start+perCall, to); i++ {
					ops = append(ops, w.op(c, i))
				}
				var outs []store.Outcome
				var err error
				if signed {
					nonce := store.Nonce{TerminalID: fmt.Sprint("T", c), Nonce: fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64()), ExpiresAt: time.Now().Add(10 * time.Minute)} // a signed timestamp + the skew window
					outs, err = s.ApplySigned(ctx, nonce, ops)
				} else {
					outs, err = s.ApplyPayments(ctx, ops)
				}
				if err != nil {
					b.Error(err)
					return
				}
				for _, o := range outs {
					if !o.Approved() {
						b.Errorf("payment not approved: %+v", o)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// benchRounds interleaves the baseline and the store so that both see the same machine: on a shared
// machine the disk and CPU change from second to second.
const benchRounds = 16

func benchGroupCommit(b *testing.B, perCall int, signed bool) {
	s, w := benchStore(b, b.N)
	bl := newBaseline(b, s, w)
	if os.Getenv("BENCH_NOSYNC") != "" { // to see the CPU-bound ceiling; never in production
		s.e.db.NoSync = true
	}
	before, pagesBefore := s.Stats(), pageWrites(s.e.db)
	var baseTime, storeTime, storeCPU time.Duration
	done := 0
	b.ResetTimer()
	for r := range benchRounds {
		b.StopTimer()
		baseTime += bl.run(b, benchBaselineOps/benchRounds)
		b.StartTimer()
		end := b.N * (r + 1) / benchRounds
		start, cpu := time.Now(), processCPU()
		runPayments(b, s, w, perCall, done, end, signed)
		storeTime += time.Since(start)
		storeCPU += processCPU() - cpu
		done = end
	}
	b.StopTimer()
	after := s.Stats()
	rate := float64(b.N) / storeTime.Seconds()
	base := float64(bl.n) / baseTime.Seconds()
	b.ReportMetric(rate, "payments/s")
	b.ReportMetric(base, "baseline/s")
	b.ReportMetric(rate/base, "x-baseline")
	b.ReportMetric(float64(pageWrites(s.e.db)-pagesBefore)/float64(b.N), "pagewrites/op")
	// CPU time per payment does not depend on how busy the machine is: 1e6/cpu-µs/op is the rate one
	// core can sustain when the disk is not the limit.
	b.ReportMetric(float64(storeCPU.Microseconds())/float64(b.N), "cpu-µs/op")
	if n := after.Commits - before.Commits; n > 0 {
		b.ReportMetric(float64(after.Ops-before.Ops)/float64(n), "ops/commit")
	}
}

// BenchmarkGroupCommitOnePerCall: 64 goroutines, one payment per ApplyPayments call. Goal ≥ 4×.
func BenchmarkGroupCommitOnePerCall(b *testing.B) { benchGroupCommit(b, 1, false) }

// BenchmarkGroupCommitSignedOnePerCall: as OnePerCall, each call with its request's nonce
// (ApplySigned), which is what one payment per HTTP request costs the store.
func BenchmarkGroupCommitSignedOnePerCall(b *testing.B) { benchGroupCommit(b, 1, true) }

// BenchmarkGroupCommitBatch100: 64 goroutines, batches of 100 payments.
func BenchmarkGroupCommitBatch100(b *testing.B) { benchGroupCommit(b, 100, false) }

// BenchmarkGroupCommitBatch1000: 64 goroutines, batches of 1,000 payments. Goal ≥ 25×.
func BenchmarkGroupCommitBatch1000(b *testing.B) { benchGroupCommit(b, 1000, false) }

func pageWrites(db *bolt.DB) int64 {
	st := db.Stats()
	return st.TxStats.GetWrite()
}

// processCPU is the CPU time (user + system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
