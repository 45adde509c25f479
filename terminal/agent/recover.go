package agent

import (
	"context"
	"fmt"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Recover closes the sales a previous run left open, in one durable transaction, before any new
// sale starts. A sale still waiting for its code is cancelled. A sale whose request was committed
// but whose outcome was not is declined and its id voided: the register was never told it was
// approved, so whatever the server did with it must be undone. It returns how many it closed.
func (a *Agent) Recover(ctx context.Context) (int, error) {
	now := a.opt.Clock.Now()
	n := 0
	err := a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		open, err := tx.OpenRecords()
		if err != nil {
			return err
		}
		n = len(open)
		for _, r := range open {
			r.UpdatedAt = now
			var to queue.State
			switch {
			case r.State == queue.StateSending && (r.Kind == protocol.KindVoid || r.Kind == protocol.KindRefund):
				// A void or refund that may have been sent: the forwarder sends the same request (its
				// own id) until the server answers it; its sale counts it meanwhile.
				to = queue.StateQueued
				if t, err := tx.Get(r.TargetTxnID); err == nil {
					if r.Kind == protocol.KindVoid {
						t.VoidTxnID = r.TxnID
					} else {
						t.Refunded += r.Amount.Minor
					}
					if err := tx.Put(t); err != nil {
						return err
					}
				}
			case r.State == queue.StateWaiting:
				to, r.DeclineMessage = queue.StateCancelled, "the terminal restarted before a code was scanned"
			case r.State == queue.StateSending:
				v, err := queueVoid(tx, a.opt.Identity.TerminalID, r, now)
				if err != nil {
					return err
				}
				to, r.DeclineCode, r.VoidTxnID = queue.StateDeclined, protocol.CodeInternal, v.TxnID
				r.DeclineMessage = "the terminal restarted before the outcome was known; the request is voided"
			default:
				return fmt.Errorf("agent: open record %s in state %s", r.TxnID, r.State)
			}
			if _, err := queue.Move(tx, r, to); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		a.log.Warn("closed sales left open by the previous run", "count", n)
	}
	return n, nil
}
