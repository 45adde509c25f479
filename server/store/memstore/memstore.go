// Package memstore is an in-memory store.Store for unit tests of the layers above the store that do
// not test durability: it is the only store.ServerKeyStore without a database (keysync's tests use it)
// and the api health test runs on it. It keeps nothing across restarts and syncs nothing, so it must
// never back a real server (storeopen cannot open it); the API and end-to-end tests run over bbolt and
// PostgreSQL, the stores that ship. It passes the same conformance suite as the durable stores, through
// the same front (server/store/front), and applies the same money rules (server/ledger).
package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/front"
)

// sweepLimit bounds what one Sweep does, as in the durable stores.
const sweepLimit = 2000

type usedKey struct {
	auth    string
	counter uint64
}

type nonceKey struct{ terminal, nonce string }

// engine is the in-memory driver below the store front (server/store/front).
type engine struct {
	mu         sync.Mutex
	closed     bool
	merchants  map[string]store.Merchant
	terminals  map[string]store.Terminal
	termByCode map[string]string
	users      map[string]store.User
	sessions   map[string]store.Session
	accounts   map[string]store.Account
	entries    []store.Entry
	auths      map[string]store.Authorization
	used       map[usedKey]store.UsedCode
	txns       map[store.TxnKey]store.Txn
	bySeq      []store.TxnKey // bySeq[seq-1]
	nonces     map[nonceKey]time.Time
	failures   map[store.Subject]store.Failures
	orders     orderMaps // orders.go
	offers     *offerState
	serverKeys map[string]store.ServerKey          // serverkeys.go
	redeemed   map[string]store.Redemption         // redemptions.go, by token id
	push       map[string][]store.PushSubscription // push.go, by user
}

var _ front.Driver = (*engine)(nil)

// Store is the in-memory store: the store front over the in-memory engine. The zero value is not
// usable; call New.
type Store struct {
	*front.Front
	e *engine
}

var _ store.ServerKeyStore = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	e := newEngine()
	return &Store{Front: front.New(e), e: e}
}

// PutServerKey announces k (store.ServerKeyStore).
func (s *Store) PutServerKey(ctx context.Context, k store.ServerKey) error {
	return s.e.PutServerKey(ctx, k)
}

// ServerKeys lists the announced keys (store.ServerKeyStore).
func (s *Store) ServerKeys(ctx context.Context) ([]store.ServerKey, error) {
	return s.e.ServerKeys(ctx)
}

func newEngine() *engine {
	return &engine{
		merchants: map[string]store.Merchant{}, terminals: map[string]store.Terminal{}, termByCode: map[string]string{},
		users: map[string]store.User{}, sessions: map[string]store.Session{}, accounts: map[string]store.Account{},
		auths: map[string]store.Authorization{}, used: map[usedKey]store.UsedCode{}, txns: map[store.TxnKey]store.Txn{},
		nonces: map[nonceKey]time.Time{}, failures: map[store.Subject]store.Failures{},
	}
}

// lock takes the store's lock, or reports the store closed or ctx done.
func (s *engine) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	return nil
}

// Close makes every later call fail with store.ErrClosed.
func (s *engine) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}

func exists(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrExists, fmt.Sprintf(format, args...))
}

// get returns a copy of m[id] under the store's lock; what names the record in ErrNotFound. clone
// may be nil for records without slices.
func get[T any](s *engine, ctx context.Context, m map[string]T, what, id string, clone func(T) T) (T, error) {
	var zero T
	if err := s.lock(ctx); err != nil {
		return zero, err
	}
	defer s.mu.Unlock()
	v, ok := m[id]
	if !ok {
		return zero, notFound("%s %s", what, id)
	}
	if clone != nil {
		v = clone(v)
	}
	return v, nil
}

// list pages through m under the store's lock (see page) and returns copies.
func list[T any](s *engine, ctx context.Context, m map[string]T, p store.Page, keep func(T) bool, clone func(T) T) ([]T, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := page(m, p, keep)
	if clone != nil {
		for i := range out {
			out[i] = clone(out[i])
		}
	}
	return out, nil
}

// page returns the values of m with keys after p.AfterID, by key, at most the page size.
func page[T any](m map[string]T, p store.Page, keep func(T) bool) []T {
	n := p.Limit
	var out []T
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if len(out) == n {
			break
		}
		if k <= p.AfterID || (keep != nil && !keep(m[k])) {
			continue
		}
		out = append(out, m[k])
	}
	return out
}
