package agent

import (
	"context"
	"errors"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/terminal/queue"
)

// refundPayout is the hook for cash-like events: an effective refund opens the cash drawer when
// the printer drives one (posagent.yaml printer.cash_drawer: pin2|pin5; off by default), so the
// cashier can pay out or put the returned goods' slip in. A printer without a drawer, or a drawer
// that does not open, never changes the refund's outcome: it is logged.
func (a *Agent) refundPayout(ctx context.Context, rec queue.Record) {
	d, ok := a.opt.Printer.(printer.DrawerOpener)
	if !ok {
		return
	}
	err := d.OpenDrawer(ctx)
	switch {
	case err == nil:
		a.log.Info("cash drawer opened for a refund", "txn", rec.TxnID)
	case errors.Is(err, printer.ErrDrawerOff):
	default:
		a.log.Warn("cash drawer did not open for a refund", "txn", rec.TxnID, "err", err)
	}
}
