// Package groupcommit is the group-commit skeleton of the durable stores (boltstore, pgstore): callers
// submit writes, one goroutine gathers the writes waiting into a group and hands the group to the
// store's flush function, which commits it in one transaction. What a store does inside the
// transaction is its own; the queue, the grouping bounds, lingering, splitting a failed group, closing
// and the counters are here, once.
//
// Why one writer: every commit costs an fsync (bbolt) or a round trip and a WAL flush (PostgreSQL)
// whatever its size, so many writes sharing one commit is what makes the stores fast under load, and a
// single writer never conflicts with itself.
package groupcommit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// Config bounds the groups of a Batcher.
type Config struct {
	// Name prefixes log lines and wraps flush errors ("<name>: write: ...").
	Name string
	// QueueDepth is how many writes may wait for the writer before Submit blocks.
	QueueDepth int
	// MaxRequests bounds the writes in one group.
	MaxRequests int
	// MaxWeight bounds the summed weight (ops) of one group: a write that would take the group over it
	// starts the next group. A single write heavier than MaxWeight is a group of its own.
	MaxWeight int
	// LingerGap, when not 0, makes the writer wait up to that long for the next write after the
	// queue runs empty, as long as the previous group had more than one write (under load the
	// callers just answered are resubmitting). MaxLinger bounds the whole wait of one group.
	LingerGap, MaxLinger time.Duration
	// Split reports whether a failed group of several writes is retried one write per group, so a
	// failure stays with the write that caused it. Nil means always; false (say, the database is
	// gone) fails every write of the group with the error.
	Split func(err error) bool
	// Log receives a warning per split group and an error per failed write; nil is slog.Default().
	Log *slog.Logger
}

// Stats are counters since New.
type Stats struct {
	Commits  uint64 // groups flushed without error
	Requests uint64 // writes in them
	Weight   uint64 // their summed weight
	Splits   uint64 // failed groups retried one write at a time
}

// Batcher queues writes of type T (usually a pointer the store fills with its per-write results) and
// flushes them in groups from one goroutine.
type Batcher[T any] struct {
	cfg   Config
	flush func(group []T) error
	log   *slog.Logger
	queue chan *entry[T]

	mu       sync.RWMutex // guards closed against sends on a closed queue
	closed   bool
	finished chan struct{}

	commits, requests, weight, splits atomic.Uint64
}

type entry[T any] struct {
	v      T
	weight int
	done   chan error // buffered 1: the writer never waits for a caller that gave up
}

// New starts the writer goroutine. flush commits a group in one transaction: nil means every write of
// the group is committed (each write's own verdict travels in its T); an error means none is, and
// the group is split (see Config.Split) or every write's Submit returns the error. flush may see a
// write twice (a group, then the write alone), so it must reset what it reports back.
func New[T any](cfg Config, flush func(group []T) error) *Batcher[T] {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	b := &Batcher[T]{cfg: cfg, flush: flush, log: log,
		queue: make(chan *entry[T], max(cfg.QueueDepth, 0)), finished: make(chan struct{})}
	go b.run()
	return b
}

// Submit queues v and waits for its group's commit. It returns store.ErrClosed after Close, ctx's
// error when ctx ends first (the write may still commit: store writes are idempotent or keyed, so a
// retry is safe), or the flush error of v's group, wrapped.
func (b *Batcher[T]) Submit(ctx context.Context, v T, weight int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := &entry[T]{v: v, weight: weight, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return store.ErrClosed
	}
	select {
	case b.queue <- e:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-e.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close refuses new writes, flushes those already queued and waits for the writer to end.
func (b *Batcher[T]) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.finished
}

// Queued is how many writes wait for the writer (tests use it to build a group).
func (b *Batcher[T]) Queued() int { return len(b.queue) }

// Stats returns the counters.
func (b *Batcher[T]) Stats() Stats {
	return Stats{Commits: b.commits.Load(), Requests: b.requests.Load(), Weight: b.weight.Load(),
		Splits: b.splits.Load()}
}
