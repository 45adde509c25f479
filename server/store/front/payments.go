package front

import (
	"context"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// ApplyPayments bounds the ops of one call (ledger.CheckOpCount); each op's own shape is checked
// by ledger.Apply in the driver's transaction, where a bad op is that op's Outcome.Err.
func (f *Front) ApplyPayments(ctx context.Context, ops []store.PaymentOp) ([]store.Outcome, error) {
	if err := ledger.CheckOpCount(len(ops)); err != nil {
		return nil, err
	}
	return f.engine.Apply(ctx, nil, ops)
}

// ApplySigned checks and normalises the nonce (ledger.PrepareNonce) and bounds the ops.
func (f *Front) ApplySigned(ctx context.Context, nonce store.Nonce, ops []store.PaymentOp) ([]store.Outcome, error) {
	nonce, err := ledger.PrepareNonce(nonce)
	if err != nil {
		return nil, err
	}
	if err := ledger.CheckOpCount(len(ops)); err != nil {
		return nil, err
	}
	return f.engine.Apply(ctx, &nonce, ops)
}

// UseNonce checks and normalises the nonce (ledger.PrepareNonce).
func (f *Front) UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error {
	n, err := ledger.PrepareNonce(store.Nonce{TerminalID: terminalID, Nonce: nonce, ExpiresAt: expiresAt})
	if err != nil {
		return err
	}
	return f.engine.UseNonce(ctx, n.TerminalID, n.Nonce, n.ExpiresAt)
}

// GetTxns bounds the keys of one call: at most store.MaxOpsPerCall (store.ErrTooManyOps).
func (f *Front) GetTxns(ctx context.Context, keys []store.TxnKey) (map[store.TxnKey]store.Txn, error) {
	if len(keys) > store.MaxOpsPerCall {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrTooManyOps, len(keys), store.MaxOpsPerCall)
	}
	return f.engine.GetTxns(ctx, keys)
}

// ListTxns checks that the filter names at most one of terminal, merchant, user and authorization,
// and sets the page size.
func (f *Front) ListTxns(ctx context.Context, flt store.TxnFilter) ([]store.Txn, error) {
	set := 0
	for _, id := range []string{flt.TerminalID, flt.MerchantID, flt.UserID, flt.AuthorizationID} {
		if id != "" {
			set++
		}
	}
	if set > 1 {
		return nil, fmt.Errorf("%w: filter by one of terminal, merchant, user or authorization", store.ErrInvalidArgument)
	}
	flt.Limit = store.PageSize(flt.Limit)
	return f.engine.ListTxns(ctx, flt)
}
