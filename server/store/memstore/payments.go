package memstore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Apply applies ops, recording nonce (when set) first in the same transaction (front.Driver).
func (s *engine) Apply(ctx context.Context, nonce *store.Nonce, ops []store.PaymentOp) ([]store.Outcome, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if nonce != nil {
		if err := s.useNonce(*nonce); err != nil {
			return nil, err
		}
	}
	outs := make([]store.Outcome, len(ops))
	for i, op := range ops {
		o, err := ledger.Apply(memTx{s}, op)
		if err != nil {
			// memTx never fails; a failure here is a bug in the rules' use of it.
			return nil, fmt.Errorf("memstore: op %s: %w", op.Key, err)
		}
		outs[i] = o
	}
	return outs, nil
}

func (s *engine) GetTxn(ctx context.Context, key store.TxnKey) (store.Txn, error) {
	if err := s.lock(ctx); err != nil {
		return store.Txn{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.txns[key]
	if !ok {
		return store.Txn{}, notFound("txn %s", key)
	}
	return cloneTxn(t), nil
}

func (s *engine) GetTxns(ctx context.Context, keys []store.TxnKey) (map[store.TxnKey]store.Txn, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make(map[store.TxnKey]store.Txn, len(keys))
	for _, k := range keys {
		if t, ok := s.txns[k]; ok {
			out[k] = cloneTxn(t)
		}
	}
	return out, nil
}

func (s *engine) ListTxns(ctx context.Context, f store.TxnFilter) ([]store.Txn, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	n := f.Limit
	var out []store.Txn
	if f.TerminalID != "" {
		var keys []store.TxnKey
		for k := range s.txns {
			if k.TerminalID == f.TerminalID && (f.BeforeTxnID == "" || k.TerminalTxnID < f.BeforeTxnID) {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, func(a, b store.TxnKey) int { return cmp.Compare(b.TerminalTxnID, a.TerminalTxnID) })
		for _, k := range keys[:min(n, len(keys))] {
			out = append(out, cloneTxn(s.txns[k]))
		}
		return out, nil
	}
	before := f.BeforeSeq
	if before == 0 {
		before = math.MaxUint64
	}
	for seq := min(before-1, uint64(len(s.bySeq))); seq >= 1 && len(out) < n; seq-- {
		t := s.txns[s.bySeq[seq-1]]
		if s.listed(t, f) {
			out = append(out, cloneTxn(t))
		}
	}
	return out, nil
}

// listed reports whether t belongs in a listing filtered by f (other than by terminal). A user's txns
// are those of the user's authorizations, and those that name the user and no authorization.
func (s *engine) listed(t store.Txn, f store.TxnFilter) bool {
	switch {
	case f.MerchantID != "":
		return t.MerchantID == f.MerchantID
	case f.AuthorizationID != "":
		return t.AuthorizationID == f.AuthorizationID
	case f.UserID != "" && t.AuthorizationID != "":
		a, ok := s.auths[t.AuthorizationID]
		return ok && a.UserID == f.UserID
	case f.UserID != "":
		return t.UserID == f.UserID
	}
	return true
}
