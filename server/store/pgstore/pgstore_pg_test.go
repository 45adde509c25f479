package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/money"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func openDSN(t *testing.T, dsn string, opt pgstore.Options) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrateConcurrently starts several instances on one empty database at once: one migrates, the
// others wait on the lock row and find the schema current.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pgtest.DSN(t)
	const instances = 5
	var wg sync.WaitGroup
	errs := make([]error, instances)
	applied := make([][]int, instances)
	for i := range instances {
		wg.Go(func() {
			applied[i], errs[i] = pgstore.Migrate(t.Context(), dsn, nil)
		})
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: Migrate: %v", i, err)
		}
		total += len(applied[i])
	}
	if want := pgstore.LatestVersion(); total != want || want == 0 {
		t.Errorf("%d migrations applied in all, want each of the %d exactly once (%v)", total, want, applied)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, version int
	if err := conn.QueryRow(t.Context(), `SELECT count(*), (SELECT version FROM stillpay_schema) FROM stillpay_migrations`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != pgstore.LatestVersion() || version != pgstore.LatestVersion() {
		t.Errorf("history has %d rows and version %d, want %d", rows, version, pgstore.LatestVersion())
	}
	again, err := pgstore.Migrate(t.Context(), dsn, nil)
	if err != nil || len(again) != 0 {
		t.Errorf("Migrate on a current schema = %v, %v; want nothing to do", again, err)
	}
}

func TestNoMigrateWantsCurrentSchema(t *testing.T) {
	dsn := pgtest.DSN(t)
	_, err := pgstore.Open(t.Context(), dsn, pgstore.Options{NoMigrate: true})
	if !errors.Is(err, pgstore.ErrSchema) {
		t.Fatalf("Open(NoMigrate) on an empty database: %v, want ErrSchema", err)
	}
	if _, err := pgstore.Migrate(t.Context(), dsn, nil); err != nil {
		t.Fatal(err)
	}
	openDSN(t, dsn, pgstore.Options{NoMigrate: true})
}

func TestOpenRejectsNonPostgresSpec(t *testing.T) {
	for _, spec := range []string{"", "/var/lib/stillpay", "mysql://root@localhost/db", "postgres//missing-colon"} {
		if _, err := pgstore.Open(t.Context(), spec, pgstore.Options{}); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v, want ErrInvalidArgument", spec, err)
		}
	}
}

// roundTrips counts what the client sends: each query outside a batch, and each batch, is one trip.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// maxTripsPerCall is what a call of any size may cost: BEGIN with the bulk reads, the new ids, the
// writes with COMMIT.
const maxTripsPerCall = 3

// TestBatchIsSetBased applies 1,000 ops in one call and counts the round trips to the database.
func TestBatchIsSetBased(t *testing.T) {
	testenv.SkipIfShort(t, "large batches counted in round trips")
	trips := &roundTrips{}
	s := openDSN(t, pgtest.DSN(t), pgstore.Options{Tracer: trips})
	ctx := t.Context()
	const users = 200
	setupShop(t, s, users, 1_000_000)

	ops := make([]store.PaymentOp, store.MaxOpsPerCall)
	var want int64
	for i := range ops {
		u := i % users
		amount := int64(100 + i)
		want += amount
		ops[i] = payment("T1", fmt.Sprintf("b%d", i), fmt.Sprintf("Z%d", u), uint64(i/users), amount)
	}
	// Two ops reuse a code already used earlier in the same call: the later one must be code_used.
	ops[998] = payment("T1", "b998", "Z0", 0, 5)
	ops[999] = payment("T1", "b999", "Z1", 0, 5)
	want -= int64(100+998) + int64(100+999)

	trips.n.Store(0)
	outs, err := s.ApplyPayments(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	if n := trips.n.Load(); n > maxTripsPerCall {
		t.Errorf("1,000 ops took %d round trips, want at most %d", n, maxTripsPerCall)
	}
	for i, o := range outs[:998] {
		if !o.Approved() {
			t.Fatalf("op %d: %s %s %v", i, o.Status, o.Code, o.Err)
		}
	}
	for _, o := range outs[998:] {
		if o.Status != store.StatusDeclined || o.Code != "code_used" {
			t.Errorf("reused code in the same call: %s %s, want declined code_used", o.Status, o.Code)
		}
	}
	m, err := s.GetAccount(ctx, store.MerchantAccountID("M1"))
	if err != nil || m.Balance != want {
		t.Errorf("merchant balance %d (%v), want %d", m.Balance, err, want)
	}
	// Sequence numbers and entry ids are the ones stored, and increase in op order.
	for i := 1; i < 998; i++ {
		if outs[i].Seq <= outs[i-1].Seq || outs[i].EntryID <= outs[i-1].EntryID {
			t.Fatalf("op %d: seq %d entry %d after seq %d entry %d", i, outs[i].Seq, outs[i].EntryID, outs[i-1].Seq, outs[i-1].EntryID)
		}
	}
	stored, err := s.GetTxn(ctx, ops[500].Key)
	if err != nil || stored.Outcome != outs[500] {
		t.Errorf("stored outcome %+v (%v), answered %+v", stored.Outcome, err, outs[500])
	}
	if rep, err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v %q", err, rep.Problems)
	}
}

// TestInstancesShareOneDatabase runs two stores (two settlementd instances) on one database, with
// every op sent to both at once: each is applied once, whichever instance wins, and the loser
// answers with the stored outcome. Nonces are shared the same way.
func TestInstancesShareOneDatabase(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := openDSN(t, dsn, pgstore.Options{})
	b := openDSN(t, dsn, pgstore.Options{})
	const users = 20
	setupShop(t, a, users, 1_000_000)
	ctx := t.Context()

	const rounds = 30
	var wg sync.WaitGroup
	var approvedMinor [2]atomic.Int64
	var replayed atomic.Int64
	for r := range rounds {
		ops := []store.PaymentOp{payment("T1", fmt.Sprintf("s%d", r), fmt.Sprintf("Z%d", r%users), uint64(r/users), 50)}
		nonce := store.Nonce{TerminalID: "T1", Nonce: fmt.Sprintf("n%d", r), ExpiresAt: t0.Add(time.Hour)}
		okCount := atomic.Int64{}
		var inner sync.WaitGroup
		for i, s := range []*pgstore.Store{a, b} {
			inner.Go(func() {
				outs, err := s.ApplySigned(ctx, nonce, ops)
				switch {
				case errors.Is(err, store.ErrNonceReplayed):
					replayed.Add(1)
					return
				case err != nil:
					t.Errorf("round %d instance %d: %v", r, i, err)
					return
				}
				okCount.Add(1)
				if outs[0].Approved() {
					approvedMinor[i].Add(outs[0].Amount.Minor)
				}
			})
		}
		wg.Go(func() {
			inner.Wait()
			if okCount.Load() != 1 {
				t.Errorf("round %d: %d instances accepted nonce %s, want exactly 1", r, okCount.Load(), nonce.Nonce)
			}
		})
	}
	wg.Wait()
	if replayed.Load() != rounds {
		t.Errorf("%d replayed nonces, want %d", replayed.Load(), rounds)
	}
	m, err := a.GetAccount(ctx, store.MerchantAccountID("M1"))
	total := approvedMinor[0].Load() + approvedMinor[1].Load()
	if err != nil || m.Balance != total || total != rounds*50 {
		t.Errorf("merchant balance %d (%v); approvals answered %d; want %d", m.Balance, err, total, rounds*50)
	}
	// Now without nonces: the same op to both instances, concurrently; one applies, one replays.
	for r := range rounds {
		op := payment("T1", fmt.Sprintf("d%d", r), fmt.Sprintf("Z%d", r%users), uint64(40+r/users), 10) // counters below the 50 codes
		var outs [2]store.Outcome
		var inner sync.WaitGroup
		for i, s := range []*pgstore.Store{a, b} {
			inner.Go(func() {
				o, err := s.ApplyPayments(ctx, []store.PaymentOp{op})
				if err != nil {
					t.Errorf("round %d instance %d: %v", r, i, err)
					return
				}
				outs[i] = o[0]
			})
		}
		inner.Wait()
		if outs[0].Replayed == outs[1].Replayed {
			t.Errorf("round %d: replayed flags %v %v, want exactly one replay", r, outs[0].Replayed, outs[1].Replayed)
		}
		outs[0].Replayed, outs[1].Replayed = false, false
		if outs[0] != outs[1] {
			t.Errorf("round %d: instances answered differently:\n%+v\n%+v", r, outs[0], outs[1])
		}
	}
	m, _ = a.GetAccount(ctx, store.MerchantAccountID("M1"))
	if want := int64(rounds*50 + rounds*10); m.Balance != want {
		t.Errorf("merchant balance %d, want %d", m.Balance, want)
	}
	if rep, err := b.Check(ctx); err != nil {
		t.Fatalf("Check: %v %q", err, rep.Problems)
	}
	t.Logf("instance stats: a %+v, b %+v", a.Stats(), b.Stats())
}

// setupShop creates merchant M1 with terminal T1, and users U0.. with accounts AU0.. and
// authorizations Z0.. (setupShop: cap 10,000 × 50 codes).
func setupShop(t *testing.T, s store.Store, users int, opening int64) {
	setupShopTB(t, s, users, opening, 10_000, 50)
}

func setupShopTB(t testing.TB, s store.Store, users int, opening, capMinor int64, codes int) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.CreateMerchant(ctx, store.Merchant{ID: "M1", Currency: "EUR", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTerminal(ctx, store.Terminal{ID: "T1", MerchantID: "M1", EnrollCodeHash: []byte("code-T1"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnrollTerminal(ctx, store.Enrollment{CodeHash: []byte("code-T1"), PublicKey: make([]byte, 32), At: t0}); err != nil {
		t.Fatal(err)
	}
	for i := range users {
		u := fmt.Sprintf("U%d", i)
		if _, err := s.CreateUser(ctx, store.User{ID: u, PasswordHash: "x", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, store.Account{ID: "A" + u, OwnerID: u, Currency: "EUR"}, opening, t0); err != nil {
			t.Fatal(err)
		}
		_, err := s.CreateAuthorization(ctx, store.Authorization{ID: fmt.Sprintf("Z%d", i), UserID: u, AccountID: "A" + u,
			Currency: "EUR", CapPerPayment: capMinor, MaxCodes: codes, DevicePublicKey: make([]byte, 32), SealedSecret: []byte("s"),
			CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func payment(terminal, txnID, auth string, counter uint64, minor int64) store.PaymentOp {
	return store.PaymentOp{
		Key:         store.TxnKey{TerminalID: terminal, TerminalTxnID: txnID},
		RequestHash: []byte(fmt.Sprintf("%s/%s/%s/%d/%d", terminal, txnID, auth, counter, minor)),
		Kind:        store.OpPayment, Now: t0.Add(time.Hour),
		Amount: money.Amount{Minor: minor, Currency: "EUR"}, AuthorizationID: auth, CodeCounter: counter,
		ApprovalID: "ap-" + txnID, ApprovalCode: "A1", KeyID: "k1",
	}
}

// TestConcurrentSweepsReleaseOnce runs Sweep on two instances at once, as every settlementd does on a
// timer: each expired hold is released exactly once.
func TestConcurrentSweepsReleaseOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := openDSN(t, dsn, pgstore.Options{})
	b := openDSN(t, dsn, pgstore.Options{})
	const users = 12
	setupShop(t, a, users, 1_000_000)
	ctx := t.Context()
	// One payment on Z0 so that its hold is partly released already.
	if outs, err := a.ApplyPayments(ctx, []store.PaymentOp{payment("T1", "p1", "Z0", 1, 700)}); err != nil || !outs[0].Approved() {
		t.Fatalf("payment: %+v %v", outs, err)
	}
	after := t0.Add(24*time.Hour + store.DefaultSettlementGrace + time.Second)
	var wg sync.WaitGroup
	var reps [2]store.SweepReport
	for i, s := range []*pgstore.Store{a, b} {
		wg.Go(func() {
			var err error
			if reps[i], err = s.Sweep(ctx, after, store.DefaultSettlementGrace); err != nil {
				t.Errorf("Sweep on instance %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := reps[0].HoldsReleased + reps[1].HoldsReleased; n != users {
		t.Errorf("released %d + %d holds, want %d in all", reps[0].HoldsReleased, reps[1].HoldsReleased, users)
	}
	released := reps[0].ReleasedMinor["EUR"] + reps[1].ReleasedMinor["EUR"]
	if want := int64(users)*500_000 - 10_000; released != want {
		t.Errorf("released %d minor, want %d (every hold, less Z0's one released slot)", released, want)
	}
	for i := range users {
		acct, err := a.GetAccount(ctx, store.HoldAccountID(fmt.Sprintf("Z%d", i)))
		if err != nil || acct.Balance != 0 {
			t.Errorf("hold of Z%d after the sweeps: %d (%v)", i, acct.Balance, err)
		}
	}
	if rep, err := a.Check(ctx); err != nil {
		t.Fatalf("Check: %v %q", err, rep.Problems)
	}
}
