package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
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
		return putTerminal(tx, t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

func putTerminal(tx *bolt.Tx, t store.Terminal) error {
	if err := putJSON(tx.Bucket(bktTerminals), []byte(t.ID), t); err != nil {
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
		return putJSON(tx.Bucket(bktTerminals), []byte(t.ID), t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

// GetTerminal runs for every signed request, so it decodes a terminal's JSON only when its stored
// bytes changed since the last call (readTerminals); the bytes are compared inside the read
// transaction, so a revocation is seen by the next request as before.
func (s *engine) GetTerminal(ctx context.Context, id string) (store.Terminal, error) {
	var t store.Terminal
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		t, err = s.readTerminals.get(tx.Bucket(bktTerminals), id)
		return err
	})
	return t, err
}

// terminalCache is decodedCache's terminal map for readers: shared by concurrent requests, so it
// has its own lock, and it hands out copies of the byte slices so that no caller can change the
// cached value.
type terminalCache struct {
	mu sync.Mutex
	m  map[string]decoded[store.Terminal]
}

func (c *terminalCache) get(b *bolt.Bucket, id string) (store.Terminal, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]decoded[store.Terminal]{}
	}
	t, err := getDecoded(c.m, b, id, "terminal")
	if err != nil {
		return store.Terminal{}, err
	}
	t.EnrollCodeHash, t.PublicKey = bytes.Clone(t.EnrollCodeHash), bytes.Clone(t.PublicKey)
	return t, nil
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
		return putJSON(tx.Bucket(bktTerminals), []byte(id), t)
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
		return putJSON(tx.Bucket(bktTerminals), []byte(id), t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}
