package pgstore

import (
	"context"
	"fmt"
	"math"

	"github.com/stillpay/stillpay/server/store"
)

// Apply applies ops in the writer's next group, recording nonce (when set) in the same transaction
// (front.Driver).
func (s *engine) Apply(ctx context.Context, nonce *store.Nonce, ops []store.PaymentOp) ([]store.Outcome, error) {
	c := &call{nonce: nonce, ops: ops}
	if err := s.w.do(ctx, c); err != nil {
		return nil, err
	}
	return c.outs, nil
}

func (s *engine) GetTxn(ctx context.Context, key store.TxnKey) (store.Txn, error) {
	t, ok, err := s.r.txns.get(ctx, key)
	switch {
	case err != nil:
		return store.Txn{}, err
	case !ok:
		return store.Txn{}, fmt.Errorf("%w: txn %s", store.ErrNotFound, key)
	}
	return t, nil
}

func (s *engine) ListTxns(ctx context.Context, f store.TxnFilter) ([]store.Txn, error) {
	column, owner := "", "" // the front let through at most one
	for _, c := range []struct{ id, column string }{
		{f.TerminalID, "terminal_id"}, {f.MerchantID, "merchant_id"}, {f.UserID, "user_id"}, {f.AuthorizationID, "authorization_id"},
	} {
		if c.id != "" {
			column, owner = c.column, c.id
		}
	}
	if f.TerminalID != "" {
		// A terminal's own order: its txn ids, descending (the primary key's order).
		q := `SELECT ` + txnCols + ` FROM txns WHERE terminal_id = $1`
		args := []any{f.TerminalID, f.Limit}
		if f.BeforeTxnID != "" {
			q += ` AND terminal_txn_id < $3`
			args = append(args, f.BeforeTxnID)
		}
		rows, err := s.pool.Query(ctx, q+` ORDER BY terminal_txn_id DESC LIMIT $2`, args...)
		if err != nil {
			return nil, mapErr(err)
		}
		out, err := collect(rows, scanTxn)
		return out, mapErr(err)
	}
	before := int64(math.MaxInt64)
	if f.BeforeSeq != 0 && f.BeforeSeq < math.MaxInt64 {
		before = int64(f.BeforeSeq)
	}
	q := `SELECT ` + txnCols + ` FROM txns WHERE seq < $1`
	args := []any{before, f.Limit}
	if column != "" {
		// column comes from the fixed list above, never from input.
		q += ` AND ` + column + ` = $3`
		args = append(args, owner)
	}
	q += ` ORDER BY seq DESC LIMIT $2`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanTxn)
	return out, mapErr(err)
}

// GetTxns looks up many idempotency keys in one query (a batch's keys: one round trip instead of one
// per item). A single key joins the coalesced lookups of concurrent requests, as GetTxn does.
func (s *engine) GetTxns(ctx context.Context, keys []store.TxnKey) (map[store.TxnKey]store.Txn, error) {
	switch len(keys) {
	case 0:
		return map[store.TxnKey]store.Txn{}, nil
	case 1:
		out := make(map[store.TxnKey]store.Txn, 1)
		t, ok, err := s.r.txns.get(ctx, keys[0])
		if err != nil {
			return nil, err
		}
		if ok {
			out[keys[0]] = t
		}
		return out, nil
	}
	term, id := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		term[i], id[i] = k.TerminalID, k.TerminalTxnID
	}
	return queryMap(ctx, s, selectTxnsSQL, scanTxn, func(t store.Txn) store.TxnKey { return t.Key }, term, id)
}
