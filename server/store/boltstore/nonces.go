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
//
// A nonce is stored once, in nonce_by_expiry under expiry + terminal + nonce. The expiry is the
// request's signed timestamp plus a constant (service.nonceExpiry), so a replay, which must carry the
// same signed timestamp and nonce, finds the same key; and since the keys of new nonces all sort
// near the end of the bucket, a group's nonces share one or two leaf pages instead of dirtying a
// random page each (a page per payment and a third of the commit's bytes with one payment per
// request). Stores written before this layout also hold their nonces in the nonces bucket
// (terminal + nonce); they are still refused from there until Sweep forgets them.
func useNonce(tx *bolt.Tx, n store.Nonce) error {
	k := pair(n.TerminalID, n.Nonce)
	byExpiry := append(timeKey(n.ExpiresAt), k...)
	b := tx.Bucket(bktNonceByExpiry)
	if b.Get(byExpiry) != nil || tx.Bucket(bktNonces).Get(k) != nil {
		return fmt.Errorf("%w: terminal %s", store.ErrNonceReplayed, n.TerminalID)
	}
	return abort(b.Put(byExpiry, nil))
}

func (s *engine) UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		return useNonce(tx, store.Nonce{TerminalID: terminalID, Nonce: nonce, ExpiresAt: expiresAt})
	})
}

func (s *engine) RecordCodeFailures(ctx context.Context, subjects []store.Subject, at, since time.Time) ([]store.FailureCount, error) {
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

func (s *engine) CodeFailures(ctx context.Context, sub store.Subject, since, now time.Time) (store.FailureCount, error) {
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

func (s *engine) ClearCodeFailures(ctx context.Context, sub store.Subject) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		return abort(tx.Bucket(bktFailures).Delete(failureKey(sub)))
	})
}
