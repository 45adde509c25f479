package api

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/server/store/storeopen"
	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/money"
)

const testAdminToken = "test-admin-token-0123456789abcdef" // admin.MinTokenLen characters or more

// stack is a whole settlementd in the test process: the real bbolt store in a temp dir, real keys, the
// service and this package's handlers on a real HTTP server on 127.0.0.1.
type stack struct {
	t     testing.TB
	store store.Store
	svc   *service.Service
	clock *clocktest.Fake
	srv   *httptest.Server
	admin *admin.Client
	// h is the handler srv serves, for requests a loopback client cannot make (another address).
	h *Server
}

func newStack(t testing.TB) *stack {
	t.Helper()
	return newStackOn(t, storeBolt)
}

// Stores a stack can run on.
const (
	storeBolt     = "bbolt"
	storePostgres = "postgres"
)

// eachStore runs f on a stack over the embedded store and one over the real PostgreSQL (skipped, or
// failed under STILLPAY_REQUIRE_POSTGRES=1, when no server answers; see pgtest).
func eachStore(t *testing.T, f func(t *testing.T, s *stack)) {
	for _, kind := range []string{storeBolt, storePostgres} {
		t.Run(kind, func(t *testing.T) { f(t, newStackOn(t, kind)) })
	}
}

func newStackOn(t testing.TB, kind string) *stack {
	t.Helper()
	return newStackWith(t, kind, nil)
}

// newStackWith is newStackOn with the service's configuration adjusted by cfg (if not nil) and the
// handlers' by acfg.
func newStackWith(t testing.TB, kind string, cfg func(*service.Config, *Config)) *stack {
	t.Helper()
	dir := t.TempDir()
	var st store.Store
	var err error
	switch kind {
	case storeBolt:
		st, err = boltstore.Open(dir, boltstore.Options{})
	case storePostgres:
		st, err = pgstore.Open(context.Background(), pgtest.DSN(t), pgstore.Options{})
	default:
		t.Fatalf("unknown store %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Mid-morning UTC of today: far from midnight, so tests that move the clock stay within one
	// throttling day. Every part of the stack (and the simulated terminal and wallet) uses this clock.
	clock := clocktest.NewFake(time.Now().UTC().Truncate(24 * time.Hour).Add(10 * time.Hour))
	scfg := service.Config{Clock: clock}
	// As openApp wires it: the store's group commits on /metrics.
	acfg := Config{AdminToken: testAdminToken, StoreCommits: storeopen.CommitStats(st)}
	if cfg != nil {
		cfg(&scfg, &acfg)
	}
	svc := newServiceWith(t, dir, st, scfg)
	acfg.Service = svc
	h := New(acfg)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return &stack{t: t, store: st, svc: svc, clock: clock, srv: srv, h: h,
		admin: &admin.Client{BaseURL: srv.URL, Token: testAdminToken, HTTP: srv.Client()}}
}

// shop is a merchant with one enrolled terminal and one funded, authorized customer.
type shop struct {
	term   *bench.Terminal
	wallet *bench.Wallet
	user   string
	acct   string
}

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }

// newShop sets up merchant M1, terminal T1, user alice with 100.00 EUR, and a credential with a cap
// of 20.00 and 5 codes (a hold of 100.00).
func (s *stack) newShop() *shop {
	t := s.t
	t.Helper()
	ctx := context.Background()
	if _, err := s.admin.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Corner shop", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	term := s.enrollTerminal("T1", "M1")
	if _, err := s.admin.AddUser(ctx, admin.UserRequest{UserID: "alice", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice", UserID: "alice", OpeningBalance: eur(10000)}); err != nil {
		t.Fatal(err)
	}
	return &shop{term: term, wallet: s.authorize("acc-alice", 2000, 5), user: "alice", acct: "acc-alice"}
}

// authorize logs alice in and gets a one-hour credential of codes × capMinor EUR on account.
func (s *stack) authorize(account string, capMinor int64, codes int) *bench.Wallet {
	t := s.t
	t.Helper()
	ctx := context.Background()
	tok, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	w, err := bench.Authorize(ctx, s.srv.Client(), s.srv.URL, tok, account, eur(capMinor), codes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (s *stack) balance(id string) int64 {
	s.t.Helper()
	a, err := s.store.GetAccount(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return a.Balance
}

// newService is the service on st with real keys and seal key in dir.
func newService(t testing.TB, dir string, st store.Store, clock clock.Clock) *service.Service {
	t.Helper()
	return newServiceWith(t, dir, st, service.Config{Clock: clock})
}

// newServiceWith is newService with cfg's settings; the store, keys and sealer are filled in.
func newServiceWith(t testing.TB, dir string, st store.Store, cfg service.Config) *service.Service {
	t.Helper()
	ring, err := keys.Open(filepath.Join(dir, "keys"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := keys.OpenSealer(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Keys, cfg.Sealer = st, ring, sealer
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
