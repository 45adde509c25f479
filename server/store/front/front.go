// Package front is the store's front, shaped like database/sql: one concrete type that every store
// is used through, holding the policy shared by all of them — argument validation, normalisation
// (UTC microsecond times, defaults) and limits (ops per call) — over a driver that only keeps and
// finds records. The rules that decide on stored state (money, codes, orders) are server/ledger's and
// run inside the driver's transactions; what can be decided from the arguments alone is here, once.
//
// Each driver package (boltstore, pgstore, memstore) returns its exported Store as a Front over its
// own engine, so no caller reaches a driver without the policy, and a driver does not check again
// what the front checked (see Driver).
package front

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Driver is a store below the front: store.Store's methods, less the ones the front answers from
// narrower driver calls (ApplyPayments and ApplySigned are both Apply). For the methods Front defines
// in this package the arguments arrive checked and normalised (the ledger.Prepare* functions have
// run); the driver does not check them again and must not be reached but through a Front. The methods
// Front does not define pass straight through.
type Driver interface {
	store.OrderStore
	store.Pinger
	store.Offers
	store.Redemptions
	store.PushSubscriptions

	CreateMerchant(ctx context.Context, m store.Merchant) (store.Merchant, error)
	GetMerchant(ctx context.Context, id string) (store.Merchant, error)
	ListMerchants(ctx context.Context, p store.Page) ([]store.Merchant, error)
	CreateTerminal(ctx context.Context, t store.Terminal) (store.Terminal, error)
	EnrollTerminal(ctx context.Context, e store.Enrollment) (store.Terminal, error)
	GetTerminal(ctx context.Context, id string) (store.Terminal, error)
	ListTerminals(ctx context.Context, f store.TerminalFilter) ([]store.Terminal, error)
	ReissueEnrollCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) (store.Terminal, error)
	RevokeTerminal(ctx context.Context, id string, at time.Time) (store.Terminal, error)
	CreateUser(ctx context.Context, u store.User) (store.User, error)
	GetUser(ctx context.Context, id string) (store.User, error)
	ListUsers(ctx context.Context, p store.Page) ([]store.User, error)
	CreateSession(ctx context.Context, s store.Session) error
	GetSession(ctx context.Context, tokenHash []byte, now time.Time) (store.Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	CreateAccount(ctx context.Context, a store.Account, opening int64, at time.Time) (store.Account, error)
	GetAccount(ctx context.Context, id string) (store.Account, error)
	ListAccounts(ctx context.Context, f store.AccountFilter) ([]store.Account, error)
	ListEntries(ctx context.Context, f store.EntryFilter) ([]store.Entry, error)
	CreateAuthorization(ctx context.Context, a store.Authorization) (store.Authorization, error)
	GetAuthorization(ctx context.Context, id string) (store.Authorization, error)
	GetAuthorizations(ctx context.Context, ids []string) (map[string]store.Authorization, error)
	ListAuthorizations(ctx context.Context, f store.AuthorizationFilter) ([]store.Authorization, error)
	RevokeAuthorization(ctx context.Context, id string, at time.Time) (store.Authorization, error)
	// Apply is ApplyPayments (nonce nil) and ApplySigned (the nonce recorded in the same
	// transaction); ops holds 1..store.MaxOpsPerCall ops.
	Apply(ctx context.Context, nonce *store.Nonce, ops []store.PaymentOp) ([]store.Outcome, error)
	GetTxn(ctx context.Context, key store.TxnKey) (store.Txn, error)
	GetTxns(ctx context.Context, keys []store.TxnKey) (map[store.TxnKey]store.Txn, error)
	ListTxns(ctx context.Context, f store.TxnFilter) ([]store.Txn, error)
	UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error
	RecordCodeFailures(ctx context.Context, subjects []store.Subject, at, since time.Time) ([]store.FailureCount, error)
	CodeFailures(ctx context.Context, s store.Subject, since, now time.Time) (store.FailureCount, error)
	ClearCodeFailures(ctx context.Context, s store.Subject) error
	Sweep(ctx context.Context, now time.Time, grace time.Duration) (store.SweepReport, error)
	Check(ctx context.Context) (store.Report, error)
	Export(ctx context.Context, fn func(store.Record) error) error
	Import(ctx context.Context, recs []store.Record) error
	Close() error
}

// engine names the embedded driver without exporting it: a caller of Front reaches the driver's
// methods only through Front's.
type engine = Driver

// Front is a store.Store that applies the shared policy, then calls its driver.
type Front struct {
	engine
}

var _ store.Store = (*Front)(nil)

// New returns the front over d.
func New(d Driver) *Front { return &Front{engine: d} }

// CreateMerchant checks and normalises m (ledger.PrepareMerchant).
func (f *Front) CreateMerchant(ctx context.Context, m store.Merchant) (store.Merchant, error) {
	m, err := ledger.PrepareMerchant(m)
	if err != nil {
		return store.Merchant{}, err
	}
	return f.engine.CreateMerchant(ctx, m)
}

// CreateTerminal checks and normalises t (ledger.PrepareTerminal).
func (f *Front) CreateTerminal(ctx context.Context, t store.Terminal) (store.Terminal, error) {
	t, err := ledger.PrepareTerminal(t)
	if err != nil {
		return store.Terminal{}, err
	}
	return f.engine.CreateTerminal(ctx, t)
}

// EnrollTerminal checks e (ledger.ValidateEnrollment) and normalises e.At (zero: now).
func (f *Front) EnrollTerminal(ctx context.Context, e store.Enrollment) (store.Terminal, error) {
	if err := ledger.ValidateEnrollment(e); err != nil {
		return store.Terminal{}, err
	}
	e.At = ledger.Now(e.At)
	return f.engine.EnrollTerminal(ctx, e)
}

// CreateUser checks and normalises u (ledger.PrepareUser).
func (f *Front) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u, err := ledger.PrepareUser(u)
	if err != nil {
		return store.User{}, err
	}
	return f.engine.CreateUser(ctx, u)
}

// CreateSession checks and normalises ss (ledger.PrepareSession).
func (f *Front) CreateSession(ctx context.Context, ss store.Session) error {
	ss, err := ledger.PrepareSession(ss)
	if err != nil {
		return err
	}
	return f.engine.CreateSession(ctx, ss)
}

// CreateAccount checks a, opening and at and normalises them (ledger.PrepareAccount): the driver
// gets a customer account with CreatedAt set and a balance of 0, to fund with opening.
func (f *Front) CreateAccount(ctx context.Context, a store.Account, opening int64, at time.Time) (store.Account, error) {
	a, at, err := ledger.PrepareAccount(a, opening, at)
	if err != nil {
		return store.Account{}, err
	}
	return f.engine.CreateAccount(ctx, a, opening, at)
}

// CreateAuthorization checks and normalises a (ledger.PrepareAuthorization: hold size and account).
func (f *Front) CreateAuthorization(ctx context.Context, a store.Authorization) (store.Authorization, error) {
	a, err := ledger.PrepareAuthorization(a)
	if err != nil {
		return store.Authorization{}, err
	}
	return f.engine.CreateAuthorization(ctx, a)
}
