package boltstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store/internal/groupcommit"
)

// Group commit bounds. Under light load (the last group had one request) a group is committed as soon
// as the queue is empty, so a lone request waits for no one. Under load, requests that queued during the
// previous commit share the next, and the writer lingers while more keep arriving: the callers of the
// group just committed are resubmitting, and taking them too doubles the group for the price of a
// short wait instead of a second commit.
const (
	// lingerGap is how long the writer waits for the next request while they keep coming. Through
	// HTTP, a request reaches the writer after two Ed25519 verifications on a busy core, so arrivals
	// are often 100 µs or more apart: a 50 µs gap ended groups at about 5 one-payment requests, and
	// every commit costs the writer about 800 µs of CPU (page spill, pwrite, fdatasync) whatever its
	// size. 200 µs and 2 ms made the groups two to three times bigger and the process CPU per
	// payment about 15% smaller (docs/benchmarks.md).
	lingerGap = 200 * time.Microsecond
	// maxLinger bounds the whole wait of one group: the most a payment's answer is delayed to share
	// a commit.
	maxLinger = 2 * time.Millisecond

	// maxGroupOps bounds the ops (payments, or 1 per other request) in one transaction, which bounds
	// its memory and the latency the last member sees.
	maxGroupOps = 8192
	// maxGroupRequests bounds the requests in one transaction.
	maxGroupRequests = 1024
	// queueDepth is how many requests may wait for the writer before callers block.
	queueDepth = 4096
)

// errAbort marks a failure after a request started writing: the group must roll back.
type errAbort struct{ err error }

func (e errAbort) Error() string { return e.err.Error() }
func (e errAbort) Unwrap() error { return e.err }

// abort wraps a write failure so the writer rolls the group back.
func abort(err error) error {
	if err == nil {
		return nil
	}
	return errAbort{err}
}

// request is one write: fn, or ledger for the ledger's requests (payments, order confirmations). Either
// must return a plain error only before it writes anything (the group then goes on without its
// writes), and an errAbort after; it may run twice (a group retried one by one), so it must reset
// whatever it reports back.
type request struct {
	ctx    context.Context // a request whose caller gave up before it ran is skipped
	fn     func(tx *bolt.Tx) error
	ledger func(t ltx) error
	err    error // the verdict, when its group committed
}

// writer is the bbolt side of the group-commit skeleton: a group is one read-write transaction.
type writer struct {
	db      *bolt.DB
	b       *groupcommit.Batcher[*request]
	decoded *decodedCache // terminals and merchants, decoded across transactions
}

func newWriter(db *bolt.DB, log *slog.Logger) *writer {
	w := &writer{db: db, decoded: newDecodedCache()}
	w.b = groupcommit.New(groupcommit.Config{
		Name: "boltstore", QueueDepth: queueDepth, MaxRequests: maxGroupRequests, MaxWeight: maxGroupOps,
		LingerGap: lingerGap, MaxLinger: maxLinger, Log: log,
	}, w.flush)
	return w
}

// do queues fn and waits for its commit. When ctx ends first it returns ctx's error; the write may
// still commit, which is safe because every write is idempotent or keyed.
func (w *writer) do(ctx context.Context, weight int, fn func(tx *bolt.Tx) error) error {
	r := &request{ctx: ctx, fn: fn}
	if err := w.b.Submit(ctx, r, weight); err != nil {
		return err
	}
	return r.err
}

// doLedger is do for a request of the ledger: fn shares the group's cache (ltx), so that the records
// the requests of a group share (terminal, merchant, balances, authorizations) are read and decoded
// once and written once, when the group ends.
func (w *writer) doLedger(ctx context.Context, weight int, fn func(t ltx) error) error {
	r := &request{ctx: ctx, ledger: fn}
	if err := w.b.Submit(ctx, r, weight); err != nil {
		return err
	}
	return r.err
}

func (w *writer) close() { w.b.Close() }

func (w *writer) stats() GroupStats {
	st := w.b.Stats()
	return GroupStats{Commits: st.Commits, Requests: st.Requests, Ops: st.Weight}
}

// flush runs the group in one transaction. A member that aborts, or a failed commit, rolls the whole
// group back and returns the cause (the skeleton then retries the members one by one).
//
// The ledger's requests share one cache (ltx): its dirty records are written before any other
// request runs, since that one reads bbolt directly (a revocation must see the counters the payments
// before it left), and at the end, before the commit.
func (w *writer) flush(group []*request) error {
	err := w.runTx(func(tx *bolt.Tx) error {
		var shared ltx
		for _, r := range group {
			if r.err = r.ctx.Err(); r.err != nil {
				continue
			}
			if r.ledger != nil {
				if shared.c == nil {
					shared = newCachedTx(tx, w.decoded)
				}
				r.err = runLedger(r.ledger, shared)
			} else {
				if shared.c != nil {
					if err := shared.flush(); err != nil {
						return err
					}
					shared = ltx{}
				}
				r.err = runFn(r.fn, tx)
			}
			var a errAbort
			if errors.As(r.err, &a) {
				return a
			}
		}
		return shared.flush()
	})
	var a errAbort
	if errors.As(err, &a) {
		return a.err
	}
	return err
}

// runLedger runs a ledger request on the group's cache. A plain error after the request changed the
// cache breaks the rule that a refusal writes nothing, and its writes could not be told from the
// others' in the cache: it aborts the group instead, and the request alone gets it on the retry.
func runLedger(fn func(t ltx) error, t ltx) error {
	writes := t.c.writes
	err := runFn(func(*bolt.Tx) error { return fn(t) }, t.tx)
	var a errAbort
	if err != nil && !errors.As(err, &a) && t.c.writes != writes {
		return errAbort{err}
	}
	return err
}

// runTx is db.Update without its panic: a panic in a request is turned into an abort.
func (w *writer) runTx(fn func(tx *bolt.Tx) error) error {
	tx, err := w.db.Begin(true)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func runFn(fn func(tx *bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errAbort{fmt.Errorf("panic in write: %v", p)}
		}
	}()
	return fn(tx)
}
