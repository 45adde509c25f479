package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/stillpay/stillpay/server/store"
)

// Retry bounds for transactions that lose a serialization conflict. Under SERIALIZABLE a conflicting
// transaction is aborted and must be run again from the start; the attempts back off with jitter so
// that the losers do not collide again.
const (
	maxTxAttempts  = 12
	retryBaseDelay = 2 * time.Millisecond
	retryMaxDelay  = 250 * time.Millisecond
)

// SQLSTATE codes this package acts on.
const (
	sqlSerializationFailure = "40001"
	sqlDeadlockDetected     = "40P01"
	sqlUniqueViolation      = "23505"
	sqlCheckViolation       = "23514"
	sqlForeignKeyViolation  = "23503"
	sqlDuplicateTable       = "42P07"
	sqlUndefinedTable       = "42P01"
)

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether a transaction that failed with err should run again.
func retryable(err error) bool {
	switch sqlState(err) {
	case sqlSerializationFailure, sqlDeadlockDetected:
		return true
	}
	var r raced
	return errors.As(err, &r)
}

// raced marks a unique violation on a key the transaction had read as absent: another instance
// inserted it since. PostgreSQL reports most of these as 40001 already; running again sees the row.
type raced struct{ err error }

func (r raced) Error() string { return "concurrent insert: " + r.err.Error() }
func (r raced) Unwrap() error { return r.err }

var serializable = pgx.TxOptions{IsoLevel: pgx.Serializable}

// inTx runs fn in a SERIALIZABLE transaction and commits it, running it again (at most maxTxAttempts
// times in all) when the database reports a serialization failure or deadlock. fn must be safe to run
// more than once: everything it reports back must be reset at its start.
func (s *engine) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.runTx(ctx, s.pool, serializable, fn)
}

// readTx runs fn in a read-only snapshot (REPEATABLE READ).
func (s *engine) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.runTx(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// runTx is the retry loop, on a connection from pool.
func (s *engine) runTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	return s.retry(ctx, func() error { return attemptTx(ctx, pool, opts, fn) })
}

// retry runs attempt until it succeeds, fails for a reason other than a serialization conflict, or
// has run maxTxAttempts times; it maps the final error to the store's sentinels.
func (s *engine) retry(ctx context.Context, attempt func() error) error {
	var err error
	for n := 1; ; n++ {
		err = attempt()
		if err == nil || !retryable(err) {
			break
		}
		if s.w != nil {
			s.w.retries.Add(1)
		}
		if n == maxTxAttempts {
			s.log.Warn("pgstore: giving up after serialization failures", "attempts", n, "err", err)
			// Nothing was committed; contention this long is transient (a stall, such as commits
			// waiting for a lost synchronous standby, releases many conflicting transactions at
			// once): the caller answers "retry", as for a database that went away.
			err = fmt.Errorf("%w: transaction still conflicting after %d attempts: %w", store.ErrUnavailable, n, err)
			break
		}
		if werr := sleepCtx(ctx, backoff(n)); werr != nil {
			return werr
		}
	}
	return mapErr(err)
}

func attemptTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

// backoff is the wait before attempt+1: exponential from retryBaseDelay, capped, with full jitter.
func backoff(attempt int) time.Duration {
	d := retryBaseDelay << min(attempt-1, 16)
	d = min(d, retryMaxDelay)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// mapErr turns database errors that have a store meaning into the store's sentinels; others pass through
// with the package prefix. Errors that already wrap a store sentinel are returned as they are.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, puddle.ErrClosedPool):
		return store.ErrClosed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, store.ErrUnavailable):
		return err
	case unavailable(err):
		return unavailableErr(err)
	}
	for _, sentinel := range []error{store.ErrNotFound, store.ErrExists, store.ErrInvalidArgument,
		store.ErrInsufficientFunds, store.ErrCurrencyMismatch, store.ErrNotOwner, store.ErrRevoked,
		store.ErrEnrollCodeUsed, store.ErrEnrollCodeExpired, store.ErrNonceReplayed, store.ErrTooManyOps,
		store.ErrClosed} {
		if errors.Is(err, sentinel) {
			return err
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case sqlUniqueViolation:
			return fmt.Errorf("%w: %s (%s)", store.ErrExists, pe.ConstraintName, pe.Detail)
		case sqlForeignKeyViolation:
			return fmt.Errorf("%w: %s (%s)", store.ErrNotFound, pe.ConstraintName, pe.Detail)
		case sqlCheckViolation:
			return fmt.Errorf("%w: %s", store.ErrInvalidArgument, pe.ConstraintName)
		}
	}
	return fmt.Errorf("pgstore: %w", err)
}
