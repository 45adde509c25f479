package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/store"
)

// Read coalescing. The service looks up rows one at a time (a terminal per request, an idempotency
// key per batch item), and under load many goroutines do so at once. Each lookup here joins a queue;
// a few reader goroutines take whatever has queued up and answer it with one query (WHERE key =
// ANY(...)). Alone, a lookup waits for no one; under load, a round trip serves dozens.
const (
	// coalesceReaders is how many queries of one kind run at once. Fewer readers put more keys in
	// each query (less database work per key, which counts when the CPUs are busy); two still
	// overlap one query's round trip with the next.
	coalesceReaders = 2
	// maxCoalesce bounds the keys in one query.
	maxCoalesce = 1000
	// coalesceTimeout bounds one query, so a stuck database fails lookups instead of hanging them.
	coalesceTimeout = 30 * time.Second
)

type lookup[K comparable, V any] struct {
	key   K
	val   V
	found bool
	err   error
	done  chan struct{}
}

// coalescer answers single-key lookups with multi-key queries.
type coalescer[K comparable, V any] struct {
	fetch func(ctx context.Context, keys []K) (map[K]V, error)
	queue chan *lookup[K, V]

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	wg     sync.WaitGroup
}

func newCoalescer[K comparable, V any](fetch func(ctx context.Context, keys []K) (map[K]V, error)) *coalescer[K, V] {
	c := &coalescer[K, V]{fetch: fetch, queue: make(chan *lookup[K, V], queueDepth)}
	for range coalesceReaders {
		c.wg.Go(c.run)
	}
	return c
}

// get returns the value for key, whether it exists, or the query's error.
func (c *coalescer[K, V]) get(ctx context.Context, key K) (V, bool, error) {
	var zero V
	l := &lookup[K, V]{key: key, done: make(chan struct{})}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return zero, false, store.ErrClosed
	}
	select {
	case c.queue <- l:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return zero, false, ctx.Err()
	}
	select {
	case <-l.done:
		return l.val, l.found, l.err
	case <-ctx.Done():
		return zero, false, ctx.Err()
	}
}

func (c *coalescer[K, V]) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *coalescer[K, V]) run() {
	batch := make([]*lookup[K, V], 0, maxCoalesce)
	for first := range c.queue {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxCoalesce {
			select {
			case l, ok := <-c.queue:
				if !ok {
					break drain
				}
				batch = append(batch, l)
			default:
				break drain
			}
		}
		c.answer(batch)
		clear(batch)
	}
}

func (c *coalescer[K, V]) answer(batch []*lookup[K, V]) {
	keys := make([]K, 0, len(batch))
	seen := make(map[K]bool, len(batch))
	for _, l := range batch {
		if !seen[l.key] {
			seen[l.key] = true
			keys = append(keys, l.key)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), coalesceTimeout)
	defer cancel()
	vals, err := c.fetch(ctx, keys)
	for _, l := range batch {
		l.val, l.found = vals[l.key]
		l.err = err
		close(l.done)
	}
}

// readers are the coalesced lookups of a Store.
type readers struct {
	txns      *coalescer[store.TxnKey, store.Txn]
	terminals *coalescer[string, store.Terminal]
	failures  *coalescer[store.Subject, store.Failures]
	auths     *coalescer[string, store.Authorization]
}

func newReaders(s *engine) *readers {
	return &readers{
		txns: newCoalescer(func(ctx context.Context, keys []store.TxnKey) (map[store.TxnKey]store.Txn, error) {
			term, id := make([]string, len(keys)), make([]string, len(keys))
			for i, k := range keys {
				term[i], id[i] = k.TerminalID, k.TerminalTxnID
			}
			return queryMap(ctx, s, selectTxnsSQL, scanTxn, func(t store.Txn) store.TxnKey { return t.Key }, term, id)
		}),
		terminals: newCoalescer(func(ctx context.Context, ids []string) (map[string]store.Terminal, error) {
			return queryMap(ctx, s, selectTerminalsSQL, scanTerminal, func(t store.Terminal) string { return t.ID }, ids)
		}),
		auths: newCoalescer(func(ctx context.Context, ids []string) (map[string]store.Authorization, error) {
			return queryMap(ctx, s, `SELECT `+authCols+` FROM authorizations WHERE id = ANY($1::text[])`, scanAuthorization,
				func(a store.Authorization) string { return a.ID }, ids)
		}),
		failures: newCoalescer(func(ctx context.Context, subs []store.Subject) (map[store.Subject]store.Failures, error) {
			kind, id := make([]string, len(subs)), make([]string, len(subs))
			for i, sub := range subs {
				kind[i], id[i] = string(sub.Kind), sub.ID
			}
			return queryMap(ctx, s, selectFailuresSQL, scanFailures, func(f store.Failures) store.Subject { return f.Subject }, kind, id)
		}),
	}
}

func (r *readers) close() {
	r.txns.close()
	r.terminals.close()
	r.failures.close()
	r.auths.close()
}

// queryMap runs a multi-key query and maps its rows by key.
func queryMap[K comparable, V any](ctx context.Context, s *engine, sql string, scan func(pgx.Row) (V, error), key func(V) K, args ...any) (map[K]V, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	vals, err := collect(rows, scan)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make(map[K]V, len(vals))
	for _, v := range vals {
		out[key(v)] = v
	}
	return out, nil
}
