package boltstore

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// useNonce records n, or returns ErrNonceReplayed (before writing anything).
func useNonce(tx *bolt.Tx, n store.Nonce) error {
	k := pair(n.TerminalID, n.Nonce)
	b := tx.Bucket(bktNonces)
	if b.Get(k) != nil {
		return fmt.Errorf("%w: terminal %s", store.ErrNonceReplayed, n.TerminalID)
	}
	exp := timeKey(n.ExpiresAt)
	if err := abort(b.Put(k, exp)); err != nil {
		return err
	}
	return abort(tx.Bucket(bktNonceByExpiry).Put(append(exp, k...), nil))
}

func (s *Store) UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error {
	n := store.Nonce{TerminalID: terminalID, Nonce: nonce, ExpiresAt: ledger.Norm(expiresAt)}
	if err := ledger.ValidNonce(n); err != nil {
		return err
	}
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error { return useNonce(tx, n) })
}

func (s *Store) RecordCodeFailures(ctx context.Context, subjects []store.Subject, at, since time.Time) ([]store.FailureCount, error) {
	if err := ledger.ValidSubjects(subjects); err != nil {
		return nil, err
	}
	var out []store.FailureCount
	err := s.w.do(ctx, len(subjects), func(tx *bolt.Tx) error {
		out = make([]store.FailureCount, len(subjects))
		for i, sub := range subjects {
			c, err := recordFailure(tx, sub, at, since)
			if err != nil {
				return abort(err)
			}
			out[i] = c
		}
		return nil
	})
	return out, err
}

func (s *Store) CodeFailures(ctx context.Context, sub store.Subject, since, now time.Time) (store.FailureCount, error) {
	if err := ledger.ValidSubject(sub); err != nil {
		return store.FailureCount{}, err
	}
	var c store.FailureCount
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bktFailures).Get(failureKey(sub))
		if raw == nil {
			return nil
		}
		var f store.Failures
		if err := getJSONRaw(raw, "failures", &f); err != nil {
			return err
		}
		c = ledger.CountFailures(f, since, now)
		return nil
	})
	return c, err
}

func (s *Store) ClearCodeFailures(ctx context.Context, sub store.Subject) error {
	if err := ledger.ValidSubject(sub); err != nil {
		return err
	}
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		return abort(tx.Bucket(bktFailures).Delete(failureKey(sub)))
	})
}
