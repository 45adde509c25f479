package forwarder

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// ErrNotRefused: only refused items can be retried.
var ErrNotRefused = errors.New("forwarder: only refused items can be retried")

// Retry puts a refused item back into the outbox, under the same id, e.g. after an operator fixed
// what the server refused it for.
func Retry(ctx context.Context, store queue.Store, txnID string, now time.Time) (queue.Record, error) {
	var r queue.Record
	err := store.Update(ctx, func(tx queue.Tx) error {
		var err error
		if r, err = tx.Get(txnID); err != nil {
			return err
		}
		if r.State != queue.StateRefused {
			return fmt.Errorf("%w: %s is %s", ErrNotRefused, txnID, r.State)
		}
		r.UpdatedAt = now
		r, err = queue.Move(tx, r, queue.StateQueued)
		return err
	})
	return r, err
}

// Export signs the outbox (every queued item, in order) as a file for `settlementd admin import`.
// The items stay queued: if the terminal comes back and forwards them too, the server settles each
// id once.
func Export(ctx context.Context, store queue.Store, terminalID string, key ed25519.PrivateKey, now time.Time) (protocol.Export, error) {
	var recs []queue.Record
	err := store.View(ctx, func(tx queue.Tx) error {
		var err error
		recs, err = tx.Outbox(protocol.MaxExportItems)
		return err
	})
	if err != nil {
		return protocol.Export{}, err
	}
	items := make([]protocol.BatchItem, len(recs))
	for i, r := range recs {
		items[i] = BatchItem(r)
	}
	return protocol.SignExport(terminalID, items, now, key)
}
