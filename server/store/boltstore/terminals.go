package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateTerminal(ctx context.Context, t store.Terminal) (store.Terminal, error) {
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktMerchants).Get([]byte(t.MerchantID)) == nil {
			return fmt.Errorf("%w: merchant %q", store.ErrNotFound, t.MerchantID)
		}
		if tx.Bucket(bktTerminals).Get([]byte(t.ID)) != nil {
			return fmt.Errorf("%w: terminal %s", store.ErrExists, t.ID)
		}
		if tx.Bucket(bktTerminalByCode).Get(t.EnrollCodeHash) != nil {
			return fmt.Errorf("%w: enrollment code hash already in use", store.ErrExists)
		}
		return s.putTerminal(tx, t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

// putTerminal adds a terminal with its indexes.
func (s *engine) putTerminal(tx *bolt.Tx, t store.Terminal) error {
	if err := s.putTerminalRecord(tx, t); err != nil {
		return err
	}
	if err := abort(tx.Bucket(bktTerminalByCode).Put(t.EnrollCodeHash, []byte(t.ID))); err != nil {
		return err
	}
	return abort(tx.Bucket(bktTerminalByMer).Put(pair(t.MerchantID, t.ID), nil))
}

func (s *engine) EnrollTerminal(ctx context.Context, e store.Enrollment) (store.Terminal, error) {
	at := e.At
	var t store.Terminal
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		id := tx.Bucket(bktTerminalByCode).Get(e.CodeHash)
		if id == nil {
			return fmt.Errorf("%w: enrollment code", store.ErrNotFound)
		}
		var cur store.Terminal
		if err := getJSON(tx.Bucket(bktTerminals), id, "terminal "+string(id), &cur); err != nil {
			return err
		}
		enrolled, changed, err := ledger.Enroll(cur, e, at)
		if err != nil || !changed {
			t = enrolled
			return err
		}
		t = enrolled
		return s.putTerminalRecord(tx, t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

// putTerminalRecord writes a terminal's record. Every write of one goes through here, so that
// GetTerminal's cache learns of it once it is committed.
func (s *engine) putTerminalRecord(tx *bolt.Tx, t store.Terminal) error {
	tx.OnCommit(s.readTerminals.changed)
	return putJSON(tx.Bucket(bktTerminals), []byte(t.ID), t)
}

// GetTerminal runs for every signed request. While no terminal record was written since a
// terminal was cached, it answers from the cache without a read transaction (a read transaction
// and the bucket lookup were ~3 µs of every one-payment request); otherwise it reads the record,
// decoding its JSON only when the stored bytes changed (getDecoded).
//
// A revocation is seen by every request that starts after RevokeTerminal returned: the generation
// moves on in the write's commit hook, before the writer answers, and a request takes the
// generation before it looks at the cache or reads.
func (s *engine) GetTerminal(ctx context.Context, id string) (store.Terminal, error) {
	gen := s.readTerminals.gen.Load()
	if t, ok := s.readTerminals.cached(id, gen); ok {
		return t, nil
	}
	var t store.Terminal
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		t, err = s.readTerminals.get(tx.Bucket(bktTerminals), id, gen)
		return err
	})
	return t, err
}

// terminalCache is decodedCache's terminal map for readers: shared by concurrent requests, so it
// has its own lock, and it hands out copies of the byte slices so that no caller can change the
// cached value. Each entry remembers the generation it was read at.
type terminalCache struct {
	// gen counts committed writes of terminal records (changed): an entry read at an earlier
	// generation may be stale.
	gen atomic.Uint64
	mu  sync.Mutex
	m   map[string]decoded[store.Terminal]
	at  map[string]uint64 // the generation each entry of m was read at
}

// ownSlices is t with copies of its byte slices, so that no caller can change the cached value.
func ownSlices(t store.Terminal) store.Terminal {
	t.EnrollCodeHash, t.PublicKey = bytes.Clone(t.EnrollCodeHash), bytes.Clone(t.PublicKey)
	return t
}

// changed is the commit hook of every transaction that wrote a terminal record.
func (c *terminalCache) changed() { c.gen.Add(1) }

// cached returns id's terminal if it was read at generation gen.
func (c *terminalCache) cached(id string, gen uint64) (store.Terminal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[id]
	if !ok || c.at[id] != gen {
		return store.Terminal{}, false
	}
	return ownSlices(d.v), true
}

// get reads id's terminal from b, noting that it was read at generation gen (taken before the read
// transaction began, so a write committed in between makes the entry stale, never the reverse).
func (c *terminalCache) get(b *bolt.Bucket, id string, gen uint64) (store.Terminal, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.at = map[string]decoded[store.Terminal]{}, map[string]uint64{}
	}
	t, err := getDecoded(c.m, b, id, "terminal")
	if err != nil {
		return store.Terminal{}, err
	}
	if len(c.at) >= maxDecoded {
		clear(c.at) // getDecoded cleared m at the same size
	}
	c.at[id] = gen
	return ownSlices(t), nil
}

func (s *engine) ListTerminals(ctx context.Context, f store.TerminalFilter) ([]store.Terminal, error) {
	if f.MerchantID == "" {
		return listByID[store.Terminal](s.db, bktTerminals, f.Page)
	}
	n := f.Limit
	var out []store.Terminal
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := pair(f.MerchantID, "")
		c := tx.Bucket(bktTerminalByMer).Cursor()
		for k, _ := c.Seek(pair(f.MerchantID, f.AfterID)); k != nil && hasPrefix(k, prefix) && len(out) < n; k, _ = c.Next() {
			_, id := splitPair(k)
			if id == f.AfterID {
				continue
			}
			var t store.Terminal
			if err := getJSON(tx.Bucket(bktTerminals), []byte(id), "terminal "+id, &t); err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

func (s *engine) ReissueEnrollCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) (store.Terminal, error) {
	var t store.Terminal
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		var cur store.Terminal
		if err := getJSON(tx.Bucket(bktTerminals), []byte(id), "terminal "+id, &cur); err != nil {
			return err
		}
		byCode := tx.Bucket(bktTerminalByCode)
		if other := byCode.Get(codeHash); other != nil && string(other) != id {
			return fmt.Errorf("%w: enrollment code hash already in use", store.ErrExists)
		}
		var err error
		if t, err = ledger.Reissue(cur, codeHash, expiresAt); err != nil {
			return err
		}
		if err := abort(byCode.Delete(cur.EnrollCodeHash)); err != nil {
			return err
		}
		if err := abort(byCode.Put(t.EnrollCodeHash, []byte(id))); err != nil {
			return err
		}
		return s.putTerminalRecord(tx, t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

func (s *engine) RevokeTerminal(ctx context.Context, id string, at time.Time) (store.Terminal, error) {
	var t store.Terminal
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bktTerminals), []byte(id), "terminal "+id, &t); err != nil {
			return err
		}
		if t.State == store.TerminalRevoked {
			return nil
		}
		t.State, t.RevokedAt = store.TerminalRevoked, at
		return s.putTerminalRecord(tx, t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}
