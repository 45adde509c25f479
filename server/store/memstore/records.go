package memstore

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateMerchant(ctx context.Context, m store.Merchant) (store.Merchant, error) {
	if err := s.lock(ctx); err != nil {
		return store.Merchant{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.merchants[m.ID]; ok {
		return store.Merchant{}, exists("merchant %s", m.ID)
	}
	if _, ok := s.accounts[m.AccountID]; ok {
		return store.Merchant{}, exists("account %s", m.AccountID)
	}
	m.ReceiptHeader = slices.Clone(m.ReceiptHeader)
	s.merchants[m.ID] = m
	s.accounts[m.AccountID] = ledger.MerchantAccount(m)
	return cloneMerchant(m), nil
}

func (s *engine) GetMerchant(ctx context.Context, id string) (store.Merchant, error) {
	return get(s, ctx, s.merchants, "merchant", id, cloneMerchant)
}

func (s *engine) ListMerchants(ctx context.Context, p store.Page) ([]store.Merchant, error) {
	return list(s, ctx, s.merchants, p, nil, cloneMerchant)
}

func (s *engine) CreateTerminal(ctx context.Context, t store.Terminal) (store.Terminal, error) {
	if err := s.lock(ctx); err != nil {
		return store.Terminal{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.merchants[t.MerchantID]; !ok {
		return store.Terminal{}, notFound("merchant %q", t.MerchantID)
	}
	if _, ok := s.terminals[t.ID]; ok {
		return store.Terminal{}, exists("terminal %s", t.ID)
	}
	if _, ok := s.termByCode[string(t.EnrollCodeHash)]; ok {
		return store.Terminal{}, exists("enrollment code hash already in use")
	}
	t = cloneTerminal(t)
	s.terminals[t.ID] = t
	s.termByCode[string(t.EnrollCodeHash)] = t.ID
	return cloneTerminal(t), nil
}

func (s *engine) EnrollTerminal(ctx context.Context, e store.Enrollment) (store.Terminal, error) {
	at := e.At
	if err := s.lock(ctx); err != nil {
		return store.Terminal{}, err
	}
	defer s.mu.Unlock()
	id, ok := s.termByCode[string(e.CodeHash)]
	if !ok {
		return store.Terminal{}, notFound("enrollment code")
	}
	t, changed, err := ledger.Enroll(s.terminals[id], e, at)
	if err != nil {
		return store.Terminal{}, err
	}
	if changed {
		s.terminals[id] = t
	}
	return cloneTerminal(t), nil
}

func (s *engine) ReissueEnrollCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) (store.Terminal, error) {
	if err := s.lock(ctx); err != nil {
		return store.Terminal{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.terminals[id]
	if !ok {
		return store.Terminal{}, notFound("terminal %s", id)
	}
	if other, ok := s.termByCode[string(codeHash)]; ok && other != id {
		return store.Terminal{}, exists("enrollment code hash already in use")
	}
	t, err := ledger.Reissue(cur, codeHash, expiresAt)
	if err != nil {
		return store.Terminal{}, err
	}
	delete(s.termByCode, string(cur.EnrollCodeHash))
	s.termByCode[string(t.EnrollCodeHash)] = id
	s.terminals[id] = cloneTerminal(t)
	return cloneTerminal(t), nil
}

func (s *engine) GetTerminal(ctx context.Context, id string) (store.Terminal, error) {
	return get(s, ctx, s.terminals, "terminal", id, cloneTerminal)
}

func (s *engine) ListTerminals(ctx context.Context, f store.TerminalFilter) ([]store.Terminal, error) {
	return list(s, ctx, s.terminals, f.Page, func(t store.Terminal) bool { return f.MerchantID == "" || t.MerchantID == f.MerchantID }, cloneTerminal)
}

func (s *engine) RevokeTerminal(ctx context.Context, id string, at time.Time) (store.Terminal, error) {
	if err := s.lock(ctx); err != nil {
		return store.Terminal{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.terminals[id]
	if !ok {
		return store.Terminal{}, notFound("terminal %s", id)
	}
	if t.State != store.TerminalRevoked {
		t.State, t.RevokedAt = store.TerminalRevoked, at
		s.terminals[id] = t
	}
	return cloneTerminal(t), nil
}

func (s *engine) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if err := s.lock(ctx); err != nil {
		return store.User{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; ok {
		return store.User{}, exists("user %s", u.ID)
	}
	s.users[u.ID] = u
	return u, nil
}

func (s *engine) GetUser(ctx context.Context, id string) (store.User, error) {
	return get(s, ctx, s.users, "user", id, nil)
}

func (s *engine) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	return list(s, ctx, s.users, p, nil, nil)
}

func (s *engine) CreateSession(ctx context.Context, ss store.Session) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[ss.UserID]; !ok {
		return notFound("user %q", ss.UserID)
	}
	if _, ok := s.sessions[string(ss.TokenHash)]; ok {
		return exists("session")
	}
	ss.TokenHash = bytes.Clone(ss.TokenHash)
	s.sessions[string(ss.TokenHash)] = ss
	return nil
}

func (s *engine) GetSession(ctx context.Context, tokenHash []byte, now time.Time) (store.Session, error) {
	if err := s.lock(ctx); err != nil {
		return store.Session{}, err
	}
	defer s.mu.Unlock()
	ss, ok := s.sessions[string(tokenHash)]
	if !ok || len(tokenHash) == 0 {
		return store.Session{}, notFound("session")
	}
	if !now.Before(ss.ExpiresAt) {
		return store.Session{}, notFound("session expired")
	}
	ss.TokenHash = bytes.Clone(ss.TokenHash)
	return ss, nil
}

func (s *engine) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.sessions, string(tokenHash))
	return nil
}
