package boltstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
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

// request is one write. fn must return a plain error only before it writes anything (the group then
// goes on without its writes), and an errAbort after; it may run twice (a group retried one by one), so
// it must reset whatever it reports back.
type request struct {
	ctx    context.Context // a request whose caller gave up before it ran is skipped
	fn     func(tx *bolt.Tx) error
	weight int
	done   chan error // buffered 1
}

type writer struct {
	db    *bolt.DB
	log   *slog.Logger
	queue chan *request

	mu       sync.RWMutex // guards closed against sends on a closed queue
	closed   bool
	finished chan struct{}

	commits, requests, ops atomic.Uint64
}

func newWriter(db *bolt.DB, log *slog.Logger) *writer {
	w := &writer{db: db, log: log, queue: make(chan *request, queueDepth), finished: make(chan struct{})}
	go w.run()
	return w
}

// do queues fn and waits for its commit. When ctx ends first it returns ctx's error; the write may
// still commit, which is safe because every write is idempotent or keyed.
func (w *writer) do(ctx context.Context, weight int, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, weight: weight, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return store.ErrClosed
	}
	select {
	case w.queue <- r:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.finished
}

func (w *writer) stats() GroupStats {
	return GroupStats{Commits: w.commits.Load(), Requests: w.requests.Load(), Ops: w.ops.Load()}
}

func (w *writer) run() {
	defer close(w.finished)
	group := make([]*request, 0, maxGroupRequests)
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	lastGroup := 0
	for first := range w.queue {
		group = append(group[:0], first)
		ops := first.weight
		full := func() bool { return len(group) >= maxGroupRequests || ops >= maxGroupOps }
	drain:
		for !full() {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break drain
				}
				group = append(group, r)
				ops += r.weight
			default:
				break drain
			}
		}
		if lastGroup > 1 && !full() {
			deadline := time.Now().Add(maxLinger)
		linger:
			for !full() {
				gap.Reset(min(lingerGap, time.Until(deadline)))
				select {
				case r, ok := <-w.queue:
					gap.Stop()
					if !ok {
						break linger
					}
					group = append(group, r)
					ops += r.weight
				case <-gap.C:
					break linger
				}
			}
		}
		lastGroup = len(group)
		w.commitGroup(group, ops)
		clear(group)
	}
}

// commitGroup runs the group in one transaction. If a member aborts or the commit fails, it rolls back
// and runs each member in its own transaction, so a failure stays with the request that caused it.
func (w *writer) commitGroup(group []*request, ops int) {
	errs := make([]error, len(group))
	err := w.runTx(func(tx *bolt.Tx) error {
		for i, r := range group {
			if err := r.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			errs[i] = runFn(r.fn, tx)
			var a errAbort
			if errors.As(errs[i], &a) {
				return a
			}
		}
		return nil
	})
	if err == nil {
		w.commits.Add(1)
		w.requests.Add(uint64(len(group)))
		w.ops.Add(uint64(ops))
		for i, r := range group {
			r.done <- errs[i]
		}
		return
	}
	if len(group) == 1 {
		w.fail(group[0], err)
		return
	}
	w.log.Warn("boltstore: group commit failed; retrying its requests one by one", "requests", len(group), "err", err)
	for _, r := range group {
		var rerr error
		err := w.runTx(func(tx *bolt.Tx) error {
			rerr = runFn(r.fn, tx)
			var a errAbort
			if errors.As(rerr, &a) {
				return a
			}
			return nil
		})
		if err != nil {
			w.fail(r, err)
			continue
		}
		w.commits.Add(1)
		w.requests.Add(1)
		w.ops.Add(uint64(r.weight))
		r.done <- rerr
	}
}

func (w *writer) fail(r *request, err error) {
	w.log.Error("boltstore: write failed", "err", err)
	var a errAbort
	if errors.As(err, &a) {
		err = a.err
	}
	r.done <- fmt.Errorf("boltstore: write: %w", err)
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
