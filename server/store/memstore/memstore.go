// Package memstore is an in-memory store.Store: a fake for fast tests of the layers above the store. It
// keeps nothing across restarts and syncs nothing, so it must never back a real server; it passes the
// same conformance suite as the durable stores and applies the same money rules (server/ledger).
package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// sweepLimit bounds what one Sweep does, as in the durable stores.
const sweepLimit = 2000

type usedKey struct {
	auth    string
	counter uint64
}

type nonceKey struct{ terminal, nonce string }

// Store is the in-memory store. The zero value is not usable; call New.
type Store struct {
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
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		merchants: map[string]store.Merchant{}, terminals: map[string]store.Terminal{}, termByCode: map[string]string{},
		users: map[string]store.User{}, sessions: map[string]store.Session{}, accounts: map[string]store.Account{},
		auths: map[string]store.Authorization{}, used: map[usedKey]store.UsedCode{}, txns: map[store.TxnKey]store.Txn{},
		nonces: map[nonceKey]time.Time{}, failures: map[store.Subject]store.Failures{},
	}
}

// lock takes the store's lock, or reports the store closed or ctx done.
func (s *Store) lock(ctx context.Context) error {
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
func (s *Store) Close() error {
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

// page returns the values of m with keys after p.AfterID, by key, at most the page size.
func page[T any](m map[string]T, p store.Page, keep func(T) bool) []T {
	n := limit(p.Limit)
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

func limit(n int) int {
	switch {
	case n <= 0:
		return store.DefaultPageSize
	case n > store.MaxPageSize:
		return store.MaxPageSize
	}
	return n
}
