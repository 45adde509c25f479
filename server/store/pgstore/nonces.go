package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// UseNonce goes through the group writer like ApplySigned without ops: the service records a request's
// nonce alongside its payments, and both then share one commit.
func (s *engine) UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error {
	return s.w.do(ctx, &call{nonce: &store.Nonce{TerminalID: terminalID, Nonce: nonce, ExpiresAt: expiresAt}})
}

func (s *engine) RecordCodeFailures(ctx context.Context, subjects []store.Subject, at, since time.Time) ([]store.FailureCount, error) {
	var out []store.FailureCount
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		snap := newSnapshot(ctx, tx)
		if err := snap.load(keySet{subjects: subjects}, false); err != nil {
			return err
		}
		out = make([]store.FailureCount, len(subjects))
		for i, sub := range subjects {
			if err := snap.RecordFailure(sub, at); err != nil {
				return err
			}
			out[i] = ledger.CountFailures(*snap.failures[sub], since, at)
		}
		b := &pgx.Batch{}
		if err := snap.queueWrites(b); err != nil {
			return err
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *engine) CodeFailures(ctx context.Context, sub store.Subject, since, now time.Time) (store.FailureCount, error) {
	f, ok, err := s.r.failures.get(ctx, sub)
	if err != nil || !ok {
		return store.FailureCount{}, err
	}
	return ledger.CountFailures(f, since, now), nil
}

func (s *engine) ClearCodeFailures(ctx context.Context, sub store.Subject) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM code_failures WHERE kind = $1 AND id = $2`, string(sub.Kind), sub.ID)
	return mapErr(err)
}
