package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/internal/groupcommit"
)

// Group commit bounds. A group is committed as soon as the queue is empty (no lingering), so under
// light load a call waits for no one; under load, the calls that queued during the previous commit
// share the next.
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
	err   error // the call's own refusal (a replayed nonce, a refused order), when its group committed
	// order, when set, is an order write (orders.go) decided in the group like the ops; its
	// refusal becomes err. orderDone runs once ids are assigned.
	order      func(t *orderTx) error
	orderDone  func(t *orderTx)
	orderNeeds orderNeeds
}

// writer is the PostgreSQL side of the group-commit skeleton: the single goroutine that applies
// payment ops. One per Store: the ops of one instance never conflict with each other, and a group's
// transaction touches each hot row (a merchant's balance) once however many of its payments land there.
type writer struct {
	s       *engine
	b       *groupcommit.Batcher[*call]
	retries atomic.Uint64 // attempts repeated after a serialization failure (retry.go)
}

func newWriter(s *engine) *writer {
	w := &writer{s: s}
	w.b = groupcommit.New(groupcommit.Config{
		Name: "pgstore", QueueDepth: queueDepth, MaxRequests: maxGroupCalls, MaxWeight: maxGroupOps,
		// The database is gone (a failover): running the calls one by one would only fail each of
		// them again, slower.
		Split: func(err error) bool { return !errors.Is(err, store.ErrUnavailable) },
		Log:   s.log,
	}, w.flush)
	return w
}

// do queues c and waits for its commit. When ctx ends first it returns ctx's error; the write may still
// commit, which is safe because a retry with the same keys is answered from the stored outcomes.
func (w *writer) do(ctx context.Context, c *call) error {
	if err := w.b.Submit(ctx, c, len(c.ops)); err != nil {
		return err // c is not read: when ctx ended, the writer may still be filling it
	}
	return c.err
}

func (w *writer) close() { w.b.Close() }

func (w *writer) stats() GroupStats {
	st := w.b.Stats()
	return GroupStats{Commits: st.Commits, Calls: st.Requests, Ops: st.Weight,
		Retries: w.retries.Load(), Rollback: st.Splits}
}

// flush applies the group in one transaction, retrying serialization conflicts; any other failure
// goes back to the skeleton, which splits the group.
func (w *writer) flush(group []*call) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	return w.s.retry(ctx, func() error { return attemptGroup(ctx, w.s.wpool, group) })
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
