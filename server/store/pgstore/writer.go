package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Group commit bounds. A group is committed as soon as the queue is empty, so under light load a call
// waits for no one; under load, the calls that queued during the previous commit share the next.
const (
	// maxGroupOps bounds the ops in one transaction: the size of its arrays and the rows it reads and
	// locks. Two full terminal batches fit.
	maxGroupOps = 2 * store.MaxOpsPerCall
	// maxGroupCalls bounds the calls in one transaction.
	maxGroupCalls = 512
	// queueDepth is how many calls may wait for the writer before callers block.
	queueDepth = 4096
	// groupTimeout bounds one group's transaction, retries included, so a stuck database fails the
	// calls instead of hanging the writer.
	groupTimeout = 60 * time.Second
)

// call is one ApplyPayments or ApplySigned call waiting for the writer.
type call struct {
	nonce *store.Nonce
	ops   []store.PaymentOp
	outs  []store.Outcome
	err   error
	done  chan struct{}
	// order, when set, is an order write (orders.go) decided in the group like the ops; its
	// refusal becomes err. orderDone runs once ids are assigned.
	order      func(t *orderTx) error
	orderDone  func(t *orderTx)
	orderNeeds orderNeeds
}

// writer is the single goroutine that applies payment ops. One per Store: the ops of one instance
// never conflict with each other, and a group's transaction touches each hot row (a merchant's
// balance) once however many of its payments land there.
type writer struct {
	s     *Store
	queue chan *call

	mu       sync.RWMutex // guards closed against sends on a closed queue
	closed   bool
	finished chan struct{}

	commits, calls, ops, retries, splits atomic.Uint64
}

func newWriter(s *Store) *writer {
	w := &writer{s: s, queue: make(chan *call, queueDepth), finished: make(chan struct{})}
	go w.run()
	return w
}

// do queues c and waits for its commit. When ctx ends first it returns ctx's error; the write may still
// commit, which is safe because a retry with the same keys is answered from the stored outcomes.
func (w *writer) do(ctx context.Context, c *call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.done = make(chan struct{})
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return store.ErrClosed
	}
	select {
	case w.queue <- c:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-c.done:
		return c.err
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
	return GroupStats{Commits: w.commits.Load(), Calls: w.calls.Load(), Ops: w.ops.Load(),
		Retries: w.retries.Load(), Rollback: w.splits.Load()}
}

func (w *writer) run() {
	defer close(w.finished)
	group := make([]*call, 0, maxGroupCalls)
	for first := range w.queue {
		group = append(group[:0], first)
		ops := len(first.ops)
	drain:
		for len(group) < maxGroupCalls {
			select {
			case c, ok := <-w.queue:
				if !ok {
					break drain
				}
				if ops+len(c.ops) > maxGroupOps {
					w.commitGroup(group, ops)
					group, ops = append(group[:0], c), 0
				} else {
					group = append(group, c)
				}
				ops += len(c.ops)
			default:
				break drain
			}
		}
		w.commitGroup(group, ops)
		clear(group)
	}
}

// commitGroup applies the group in one transaction. If that fails for a reason other than a
// serialization conflict (which is retried), it runs each call in a transaction of its own, so a
// failure stays with the call that caused it.
func (w *writer) commitGroup(group []*call, ops int) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	err := w.s.retry(ctx, func() error { return attemptGroup(ctx, w.s.wpool, group) })
	if err == nil {
		w.commits.Add(1)
		w.calls.Add(uint64(len(group)))
		w.ops.Add(uint64(ops))
		for _, c := range group {
			close(c.done)
		}
		return
	}
	if len(group) == 1 || errors.Is(err, store.ErrUnavailable) {
		// One call, or the database is gone (a failover): running the calls one by one would only
		// fail each of them again, slower.
		for _, c := range group {
			w.fail(c, err)
		}
		return
	}
	w.splits.Add(1)
	w.s.log.Warn("pgstore: group commit failed; retrying its calls one by one", "calls", len(group), "err", err)
	for _, c := range group {
		w.commitGroup([]*call{c}, len(c.ops))
	}
}

func (w *writer) fail(c *call, err error) {
	w.s.log.Error("pgstore: write failed", "ops", len(c.ops), "err", err)
	c.outs, c.err = nil, fmt.Errorf("pgstore: write: %w", err)
	close(c.done)
}

// Statements that open and close the group's transaction. They ride in the first and last batch, so
// a group costs three round trips (reads, ids, writes) instead of five.
const (
	beginGroupSQL  = `BEGIN ISOLATION LEVEL SERIALIZABLE`
	commitGroupSQL = `COMMIT`
)

// attemptGroup runs the group once on a connection of pool, in one SERIALIZABLE transaction whose
// BEGIN goes with the bulk reads and whose COMMIT goes with the writes. On any failure it makes sure
// the connection leaves the transaction before going back to the pool.
func attemptGroup(ctx context.Context, pool *pgxpool.Pool, group []*call) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	defer func() {
		if err != nil && conn.Conn().PgConn().TxStatus() != 'I' {
			if _, rerr := conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`); rerr != nil {
				conn.Conn().PgConn().Close(context.WithoutCancel(ctx)) // the pool drops a closed connection
			}
		}
	}()
	return applyGroup(ctx, conn, group)
}

// applyGroup decides and writes every call of the group inside one transaction: a bulk read (with
// BEGIN), the decisions in Go, one round trip for new ids, one for the writes (with COMMIT). It may run
// more than once (retries), so it starts from scratch each time.
func applyGroup(ctx context.Context, conn batchSender, group []*call) error {
	snap := newSnapshot(ctx, conn)

	var all []store.PaymentOp
	for _, c := range group {
		c.outs, c.err = nil, nil
		all = append(all, c.ops...)
	}
	keys := keysFor(all)
	var nonceTerm, nonceVal []string
	for _, c := range group {
		if c.nonce != nil {
			nonceTerm, nonceVal = append(nonceTerm, c.nonce.TerminalID), append(nonceVal, c.nonce.Nonce)
		}
	}
	used, err := snap.prefetch(keys, nonceTerm, nonceVal)
	if err != nil {
		return err
	}

	var orders *orderTx // the group's orders, if it has order calls
	var needs orderNeeds
	for _, c := range group {
		if c.order != nil {
			needs.ids = append(needs.ids, c.orderNeeds.ids...)
			needs.keys = append(needs.keys, c.orderNeeds.keys...)
			needs.terminals = append(needs.terminals, c.orderNeeds.terminals...)
			needs.accounts = append(needs.accounts, c.orderNeeds.accounts...)
		}
	}
	if len(needs.ids)+len(needs.keys) > 0 {
		orders = &orderTx{snapshot: snap, q: conn}
		if err := orders.prefetch(needs); err != nil {
			return err
		}
	}
	for _, c := range group {
		if c.order != nil {
			if c.nonce != nil {
				k := [2]string{c.nonce.TerminalID, c.nonce.Nonce}
				if used[k] {
					c.err = fmt.Errorf("%w: terminal %s", store.ErrNonceReplayed, c.nonce.TerminalID)
					continue
				}
				used[k] = true
				snap.nonces = append(snap.nonces, *c.nonce)
			}
			if orders == nil {
				orders = &orderTx{snapshot: snap, q: conn}
			}
			if err := c.order(orders); err != nil {
				if !isRefusal(err) {
					return err
				}
				c.err = err // decided before it wrote anything: the group goes on without it
			}
			continue
		}
		if c.nonce != nil {
			k := [2]string{c.nonce.TerminalID, c.nonce.Nonce}
			if used[k] {
				c.err = fmt.Errorf("%w: terminal %s", store.ErrNonceReplayed, c.nonce.TerminalID)
				continue
			}
			used[k] = true // a second call with the same nonce in this group is a replay too
			snap.nonces = append(snap.nonces, *c.nonce)
		}
		c.outs = make([]store.Outcome, len(c.ops))
		for i, op := range c.ops {
			o, err := ledger.Apply(snap, op)
			if err != nil {
				return fmt.Errorf("op %s: %w", op.Key, err)
			}
			c.outs[i] = o
		}
	}

	if err := snap.assignIDs(); err != nil {
		return err
	}
	for _, c := range group {
		for i := range c.outs {
			snap.patch(&c.outs[i])
		}
		if c.orderDone != nil && c.err == nil {
			c.orderDone(orders)
		}
	}
	b := &pgx.Batch{}
	if err := snap.queueWrites(b); err != nil {
		return err
	}
	if orders != nil {
		if err := orders.queue(b); err != nil {
			return err
		}
	}
	b.Queue(commitGroupSQL).Exec(func(tag pgconn.CommandTag) error {
		if tag.String() != "COMMIT" {
			// PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
			return fmt.Errorf("pgstore: group transaction rolled back at commit (%s)", tag)
		}
		return nil
	})
	err = conn.SendBatch(ctx, b).Close()
	if sqlState(err) == sqlUniqueViolation {
		// Every key the group inserts was read as absent in this transaction (txns, used codes,
		// nonces), so a duplicate means a concurrent writer got there first.
		return raced{err}
	}
	return err
}

// prefetch reads the group's rows and which of the given nonces are already used, in one round trip.
func (s *snapshot) prefetch(k keySet, nonceTerm, nonceVal []string) (map[[2]string]bool, error) {
	used := map[[2]string]bool{}
	// BEGIN and the nonce check ride in load's batch (preload): a round trip of their own each would
	// cost two more.
	s.preload = func(b *pgx.Batch) {
		b.Queue(beginGroupSQL)
		if len(nonceTerm) > 0 {
			b.Queue(`SELECT terminal_id, nonce FROM nonces
				WHERE (terminal_id, nonce) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, nonceTerm, nonceVal).
				Query(func(rows pgx.Rows) error {
					defer rows.Close()
					for rows.Next() {
						var t, n string
						if err := rows.Scan(&t, &n); err != nil {
							return err
						}
						used[[2]string{t, n}] = true
					}
					return rows.Err()
				})
		}
	}
	err := s.load(k, true)
	s.preload = nil
	return used, err
}
