package front

import (
	"context"
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
	return f.engine.ApplyPayments(ctx, ops)
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
	return f.engine.ApplySigned(ctx, nonce, ops)
}

// UseNonce checks and normalises the nonce (ledger.PrepareNonce).
func (f *Front) UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error {
	n, err := ledger.PrepareNonce(store.Nonce{TerminalID: terminalID, Nonce: nonce, ExpiresAt: expiresAt})
	if err != nil {
		return err
	}
	return f.engine.UseNonce(ctx, n.TerminalID, n.Nonce, n.ExpiresAt)
}
