package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) useNonce(n store.Nonce) error {
	k := nonceKey{n.TerminalID, n.Nonce}
	if _, ok := s.nonces[k]; ok {
		return fmt.Errorf("%w: terminal %s", store.ErrNonceReplayed, n.TerminalID)
	}
	s.nonces[k] = n.ExpiresAt
	return nil
}

func (s *engine) UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return s.useNonce(store.Nonce{TerminalID: terminalID, Nonce: nonce, ExpiresAt: expiresAt})
}

func (s *engine) RecordCodeFailures(ctx context.Context, subjects []store.Subject, at, since time.Time) ([]store.FailureCount, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.FailureCount, len(subjects))
	for i, sub := range subjects {
		memTx{s}.RecordFailure(sub, at)
		out[i] = ledger.CountFailures(s.failures[sub], since, ledger.Norm(at))
	}
	return out, nil
}

func (s *engine) CodeFailures(ctx context.Context, sub store.Subject, since, now time.Time) (store.FailureCount, error) {
	if err := s.lock(ctx); err != nil {
		return store.FailureCount{}, err
	}
	defer s.mu.Unlock()
	f, ok := s.failures[sub]
	if !ok {
		return store.FailureCount{}, nil
	}
	return ledger.CountFailures(f, since, now), nil
}

func (s *engine) ClearCodeFailures(ctx context.Context, sub store.Subject) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.failures, sub)
	return nil
}
