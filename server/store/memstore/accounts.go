package memstore

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateAccount(ctx context.Context, a store.Account, opening int64, at time.Time) (store.Account, error) {
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[a.OwnerID]; !ok {
		return store.Account{}, notFound("user %q", a.OwnerID)
	}
	if _, ok := s.accounts[a.ID]; ok {
		return store.Account{}, exists("account %s", a.ID)
	}
	s.accounts[a.ID] = a
	if e := ledger.OpeningEntry(a, opening, at); e != nil {
		if _, ok := s.accounts[store.SystemAccountID(a.Currency)]; !ok {
			s.accounts[store.SystemAccountID(a.Currency)] = ledger.SystemAccount(a.Currency, at)
		}
		s.appendEntry(e)
	}
	return s.accounts[a.ID], nil
}

func (s *engine) GetAccount(ctx context.Context, id string) (store.Account, error) {
	return get(s, ctx, s.accounts, "account", id, nil)
}

func (s *engine) ListAccounts(ctx context.Context, f store.AccountFilter) ([]store.Account, error) {
	return list(s, ctx, s.accounts, f.Page, func(a store.Account) bool {
		return (f.OwnerID == "" || a.OwnerID == f.OwnerID) && (f.Kind == "" || a.Kind == f.Kind)
	}, nil)
}

func (s *engine) ListEntries(ctx context.Context, f store.EntryFilter) ([]store.Entry, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Entry
	for i := f.AfterID; i < uint64(len(s.entries)) && len(out) < f.Limit; i++ {
		out = append(out, cloneEntry(s.entries[i]))
	}
	return out, nil
}

// appendEntry numbers e and applies its legs; the caller holds the lock and has checked the accounts.
func (s *engine) appendEntry(e *store.Entry) {
	e.ID = uint64(len(s.entries) + 1)
	e.At = ledger.Norm(e.At)
	for _, l := range e.Legs {
		a := s.accounts[l.AccountID]
		a.Balance += l.Delta
		s.accounts[l.AccountID] = a
	}
	s.entries = append(s.entries, cloneEntry(*e))
}
