package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateAuthorization(ctx context.Context, a store.Authorization) (store.Authorization, error) {
	if err := s.lock(ctx); err != nil {
		return store.Authorization{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.auths[a.ID]; ok {
		return store.Authorization{}, exists("authorization %s", a.ID)
	}
	if _, ok := s.accounts[a.HoldAccountID]; ok {
		return store.Authorization{}, exists("account %s", a.HoldAccountID)
	}
	acct, ok := s.accounts[a.AccountID]
	if !ok {
		return store.Authorization{}, notFound("account %s", a.AccountID)
	}
	if err := ledger.CheckFunding(a, acct); err != nil {
		return store.Authorization{}, err
	}
	a = cloneAuthorization(a)
	s.accounts[a.HoldAccountID] = store.Account{ID: a.HoldAccountID, Kind: store.AccountHold, Currency: a.Currency, OwnerID: a.ID, CreatedAt: a.CreatedAt}
	s.auths[a.ID] = a
	s.appendEntry(ledger.HoldEntry(a))
	return cloneAuthorization(a), nil
}

func (s *engine) GetAuthorization(ctx context.Context, id string) (store.Authorization, error) {
	return get(s, ctx, s.auths, "authorization", id, cloneAuthorization)
}

func (s *engine) GetAuthorizations(ctx context.Context, ids []string) (map[string]store.Authorization, error) {
	if len(ids) > store.MaxOpsPerCall {
		return nil, fmt.Errorf("%w: %d ids, at most %d", store.ErrTooManyOps, len(ids), store.MaxOpsPerCall)
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make(map[string]store.Authorization, len(ids))
	for _, id := range ids {
		if a, ok := s.auths[id]; ok {
			out[id] = cloneAuthorization(a)
		}
	}
	return out, nil
}

func (s *engine) ListAuthorizations(ctx context.Context, f store.AuthorizationFilter) ([]store.Authorization, error) {
	if f.UserID != "" && f.AccountID != "" {
		return nil, fmt.Errorf("%w: filter by user or by account, not both", store.ErrInvalidArgument)
	}
	return list(s, ctx, s.auths, f.Page, func(a store.Authorization) bool {
		return (f.UserID == "" || a.UserID == f.UserID) && (f.AccountID == "" || a.AccountID == f.AccountID)
	}, cloneAuthorization)
}

func (s *engine) RevokeAuthorization(ctx context.Context, id string, at time.Time) (store.Authorization, error) {
	if err := s.lock(ctx); err != nil {
		return store.Authorization{}, err
	}
	defer s.mu.Unlock()
	a, ok := s.auths[id]
	if !ok {
		return store.Authorization{}, notFound("authorization %s", id)
	}
	if a.RevokedAt.IsZero() {
		a.RevokedAt = at
		s.auths[id] = a
	}
	return cloneAuthorization(a), nil
}
