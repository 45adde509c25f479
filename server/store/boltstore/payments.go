package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Apply applies ops, recording nonce (when set) first in the same transaction (front.Driver).
func (s *engine) Apply(ctx context.Context, nonce *store.Nonce, ops []store.PaymentOp) ([]store.Outcome, error) {
	var outs []store.Outcome
	err := s.w.doLedger(ctx, len(ops), func(t ltx) error {
		outs = make([]store.Outcome, len(ops)) // reset: the writer may run this twice
		if nonce != nil {
			if err := useNonce(t.tx, *nonce); err != nil {
				return err
			}
		}
		for i, op := range ops {
			o, err := ledger.Apply(t, op)
			if err != nil {
				return abort(fmt.Errorf("op %s: %w", op.Key, err))
			}
			outs[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}

func (s *engine) GetTxn(ctx context.Context, key store.TxnKey) (store.Txn, error) {
	var t store.Txn
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		t, err = ltx{tx: tx}.Txn(key)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: txn %s", store.ErrNotFound, key)
		}
		return err
	})
	return t, err
}

// GetTxns reads every key in one read transaction: one consistent snapshot, one lock acquisition.
func (s *engine) GetTxns(ctx context.Context, keys []store.TxnKey) (map[store.TxnKey]store.Txn, error) {
	out := make(map[store.TxnKey]store.Txn, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		t := ltx{tx: tx}
		for _, k := range keys {
			if _, seen := out[k]; seen {
				continue
			}
			txn, err := t.Txn(k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("boltstore: txn %s: %w", k, err)
			}
			out[k] = txn
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *engine) ListTxns(ctx context.Context, f store.TxnFilter) ([]store.Txn, error) {
	before := f.BeforeSeq
	if before == 0 {
		before = math.MaxUint64
	}
	n := f.Limit
	var out []store.Txn
	err := s.db.View(func(tx *bolt.Tx) error {
		txns, bySeq := tx.Bucket(bktTxns), tx.Bucket(bktTxnBySeq)
		add := func(key []byte) error {
			t, err := getTxn(txns, key)
			if err != nil {
				return err
			}
			out = append(out, t)
			return nil
		}
		addSeq := func(seq uint64) error {
			key := bySeq.Get(u64(seq))
			if key == nil {
				return fmt.Errorf("boltstore: index names txn seq %d, which is missing", seq)
			}
			return add(key)
		}
		addSeqs := func(seqs []uint64, err error) error {
			for _, seq := range seqs {
				if err != nil {
					return err
				}
				err = addSeq(seq)
			}
			return err
		}
		switch {
		case f.TerminalID != "":
			prefix := pair(f.TerminalID, "")
			from := append(pair(f.TerminalID, ""), 0xff)
			if f.BeforeTxnID != "" {
				from = pair(f.TerminalID, f.BeforeTxnID)
			}
			c := txns.Cursor()
			for k, _ := seekBefore(c, from); k != nil && hasPrefix(k, prefix) && len(out) < n; k, _ = c.Prev() {
				if err := add(k); err != nil {
					return err
				}
			}
			return nil
		case f.MerchantID != "":
			return walkBack(tx.Bucket(bktTxnByMerchant), pair(f.MerchantID, ""), before, n, addSeq)
		case f.AuthorizationID != "":
			return addSeqs(authTxnSeqs(tx.Bucket(bktAuthData), f.AuthorizationID, before, n))
		case f.UserID != "":
			return addSeqs(userTxnSeqs(tx, f.UserID, before, n))
		}
		c := tx.Bucket(bktTxnBySeq).Cursor()
		for k, v := seekBefore(c, u64(before)); k != nil && len(out) < n; k, v = c.Prev() {
			if err := add(v); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// walkBack calls fn with the seqs of up to n keys prefix+u64(seq) with seq < before, newest first.
func walkBack(b *bolt.Bucket, prefix []byte, before uint64, n int, fn func(seq uint64) error) error {
	c := b.Cursor()
	from := append(bytes.Clone(prefix), u64(before)...)
	for k, _ := seekBefore(c, from); k != nil && hasPrefix(k, prefix) && n > 0; k, _ = c.Prev() {
		if err := fn(seqOf(k)); err != nil {
			return err
		}
		n--
	}
	return nil
}

// userTxnSeqs merges, newest first, a user's txns from the txn lists of each of the user's
// authorizations and from txn_by_user (txns without an authorization).
func userTxnSeqs(tx *bolt.Tx, userID string, before uint64, n int) ([]uint64, error) {
	var seqs []uint64
	walkBack(tx.Bucket(bktTxnByUser), pair(userID, ""), before, n, func(seq uint64) error { seqs = append(seqs, seq); return nil })
	prefix := pair(userID, "")
	c := tx.Bucket(bktAuthByUser).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		_, authID := splitPair(k)
		more, err := authTxnSeqs(tx.Bucket(bktAuthData), authID, before, n)
		if err != nil {
			return nil, err
		}
		seqs = append(seqs, more...)
	}
	slices.SortFunc(seqs, func(a, b uint64) int { return cmp.Compare(b, a) })
	return seqs[:min(n, len(seqs))], nil
}

// seekBefore positions c at the last key strictly before k.
func seekBefore(c *bolt.Cursor, k []byte) ([]byte, []byte) {
	if key, _ := c.Seek(k); key == nil {
		return c.Last()
	}
	return c.Prev()
}
