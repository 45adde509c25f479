package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Errors of the order API. Test with errors.Is.
var (
	ErrNoOrders      = errors.New("agent: orders are not available on this terminal")
	ErrNoOrder       = errors.New("agent: no such order")
	ErrTooManyOrders = errors.New("agent: too many orders waiting for the customer")
	ErrOrderFinal    = errors.New("agent: the order already has its outcome")
	ErrBadOrderTTL   = errors.New("agent: invalid order validity")
)

// OrderServer is the part of the settlement client that orders need (terminal/client.Client).
type OrderServer interface {
	CreateOrder(ctx context.Context, req protocol.OrderRequest) (protocol.Order, error)
	Order(ctx context.Context, orderID string, wait time.Duration) (protocol.Order, error)
	CancelOrder(ctx context.Context, orderID string) (protocol.Order, error)
}

// Limits of the order follower.
const (
	// MaxOpenOrders bounds the orders followed at once (one goroutine and one long poll each).
	MaxOpenOrders = 64
	// OrderPollWait is the long poll asked of the server while an order is pending.
	OrderPollWait = 30 * time.Second
	// orderRetryMin and orderRetryMax bound the pause before asking again after no answer; it
	// doubles from the first to the second while the server stays unreachable.
	orderRetryMin = 200 * time.Millisecond
	orderRetryMax = 5 * time.Second
)

// StartOrder records a new order and starts following it: the order is created at the server, its
// QR code printed, its outcome awaited and reported (the paid receipt, or an expired / cancelled
// slip). It returns the order's terminal id at once; follow it with Order or WaitOrder. ttl is the
// order's validity (0: the server's default of 5 minutes; at most protocol.MaxOrderTTL).
func (a *Agent) StartOrder(ctx context.Context, amount money.Amount, reference string, ttl time.Duration) (string, error) {
	if a.opt.Orders == nil {
		return "", ErrNoOrders
	}
	amount, err := a.checkRequest(amount, reference)
	if err != nil {
		return "", err
	}
	// An order's reference goes into the QR code: the server takes only what fits there.
	if err := protocol.CheckASCIIText("reference", reference, protocol.MaxOrderReferenceLen); err != nil {
		return "", err
	}
	if ttl < 0 || ttl > protocol.MaxOrderTTL || (ttl > 0 && ttl < time.Second) {
		return "", fmt.Errorf("%w: %s (between 1s and %s, or 0 for the server's default)", ErrBadOrderTTL, ttl, protocol.MaxOrderTTL)
	}
	select {
	case <-a.closing:
		return "", errors.New("agent: shutting down")
	default:
	}
	if n := a.orders.count(); n >= MaxOpenOrders {
		return "", fmt.Errorf("%w: %d orders are open", ErrTooManyOrders, n)
	}
	now := a.opt.Clock.Now()
	var rec queue.Record
	err = a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		rec = queue.Record{Seq: seq, TxnID: queue.TxnID(a.opt.Identity.TerminalID, seq), Kind: queue.KindOrder,
			State: queue.StateOrdering, Amount: amount, Reference: reference, CreatedAt: now, UpdatedAt: now,
			Order: &queue.Order{TTLSecs: int64(ttl / time.Second)}}
		return tx.Put(rec)
	})
	if err != nil {
		return "", err
	}
	a.log.Info("order started", "order", rec.TxnID, "amount", amount.String())
	a.follow(rec.TxnID)
	a.notify()
	return rec.TxnID, nil
}

// ResumeOrders follows again every order a previous run left unfinished: an order still being
// created is sent again under the same id, a pending one is asked for, a paid one whose receipt was
// not printed yet is printed. Call it once at start-up, after Recover. It returns how many it resumed.
func (a *Agent) ResumeOrders(ctx context.Context) (int, error) {
	var recs []queue.Record
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var err error
		recs, err = tx.FollowUps()
		return err
	})
	if err != nil {
		return 0, err
	}
	if len(recs) > 0 && a.opt.Orders == nil {
		a.log.Warn("orders left open by the previous run cannot be followed: orders are not available", "count", len(recs))
		return 0, nil
	}
	for _, r := range recs {
		a.follow(r.TxnID)
	}
	if len(recs) > 0 {
		a.log.Info("following the orders left open by the previous run", "count", len(recs))
	}
	return len(recs), nil
}

// CancelOrder asks for an order to be cancelled. The cancellation is committed first and sent until
// the server answers; the server has the last word: an order the customer paid meanwhile ends paid.
func (a *Agent) CancelOrder(ctx context.Context, id string) error {
	err := a.updateOrder(ctx, id, func(r *queue.Record) (queue.State, error) {
		switch r.State {
		case queue.StateOrdering, queue.StateOrderPending, queue.StateCancelling:
			return queue.StateCancelling, nil
		}
		return r.State, fmt.Errorf("%w: %s is %s", ErrOrderFinal, id, r.State)
	})
	if err != nil {
		return err
	}
	a.log.Info("order cancel requested", "order", id)
	a.orders.interrupt(id)
	a.notify()
	return nil
}

// follow starts the goroutine that takes order id to its reported outcome, unless one runs.
func (a *Agent) follow(id string) {
	f, ok := a.orders.add(id)
	if !ok {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer a.orders.remove(id)
		a.runOrder(f)
	}()
}

// runOrder is the follower of one order. Every step commits before it is acted on; a step that gets
// no answer from the server is tried again after a pause that grows to orderRetryMax, and at once
// when the cashier cancels.
func (a *Agent) runOrder(f *follower) {
	ctx := a.orders.ctx
	pause := orderRetryMin
	for ctx.Err() == nil {
		rec, err := a.orderRecord(ctx, f.id)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("order follower stops: its record cannot be read", "order", f.id, "err", err)
			}
			return
		}
		switch rec.State {
		case queue.StateOrdering:
			err = a.createOrder(ctx, rec)
		case queue.StateOrderPending:
			err = a.pollOrder(ctx, f, rec)
		case queue.StateCancelling:
			err = a.cancelAtServer(ctx, rec)
		default:
			a.reportOrder(ctx, rec)
			return
		}
		if err == nil {
			f.setError(nil)
			pause = orderRetryMin
			continue
		}
		if ctx.Err() != nil {
			return
		}
		f.setError(err)
		a.notify()
		a.log.Warn("order: no usable answer from the server; will ask again", "order", f.id, "state", rec.State, "retry_in", pause, "err", err)
		select {
		case <-time.After(pause):
		case <-f.wake:
		case <-ctx.Done():
		}
		pause = min(pause*2, orderRetryMax)
	}
}

// createOrder sends the create request (again, after a restart: same id, same body) and commits the
// server's order; then prints its QR code.
func (a *Agent) createOrder(ctx context.Context, rec queue.Record) error {
	o, err := a.opt.Orders.CreateOrder(ctx, protocol.OrderRequest{TerminalOrderID: rec.TxnID, Amount: rec.Amount,
		Reference: rec.Reference, ExpiresInSeconds: rec.Order.TTLSecs})
	var prob *protocol.Problem
	if errors.As(err, &prob) {
		a.log.Warn("order refused by the server", "order", rec.TxnID, "code", prob.Code, "detail", prob.Detail)
		return a.updateOrder(ctx, rec.TxnID, func(r *queue.Record) (queue.State, error) {
			if r.State == queue.StateOrdering || r.State == queue.StateCancelling {
				r.DeclineCode, r.DeclineMessage = prob.Code, "refused by the server: "+prob.Detail
				return queue.StateDeclined, nil
			}
			return r.State, nil
		})
	}
	if err != nil {
		return err
	}
	if o.Amount != rec.Amount {
		return fmt.Errorf("the server's order is for %s, the register asked for %s", o.Amount, rec.Amount)
	}
	err = a.updateOrder(ctx, rec.TxnID, func(r *queue.Record) (queue.State, error) {
		r.Order.OrderID, r.Order.QR, r.Order.ExpiresAt = o.OrderID, o.MPM, o.ExpiresAt
		if r.State == queue.StateOrdering {
			return queue.StateOrderPending, nil
		}
		return r.State, nil
	})
	if err != nil {
		return err
	}
	a.log.Info("order created", "order", rec.TxnID, "order_id", o.OrderID, "expires_at", o.ExpiresAt)
	a.notify()
	return nil
}

// pollOrder prints the QR code if it was not printed yet, then long-polls the server for a change
// of state. A cancel by the cashier interrupts the poll.
func (a *Agent) pollOrder(ctx context.Context, f *follower, rec queue.Record) error {
	if rec.Order.QRPrint.State == queue.PrintNone {
		status := queue.Print{State: queue.PrintFailed, Detail: "the order had expired"}
		if a.opt.Clock.Now().Before(rec.Order.ExpiresAt) {
			status = a.printOrderQR(ctx, rec, false)
		}
		if err := a.updateOrder(ctx, rec.TxnID, func(r *queue.Record) (queue.State, error) {
			r.Order.QRPrint = status
			return r.State, nil
		}); err != nil {
			return err
		}
		a.notify()
	}
	pctx, stop := f.pollContext(ctx)
	defer stop()
	o, err := a.opt.Orders.Order(pctx, rec.Order.OrderID, OrderPollWait)
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		return nil // interrupted by a cancel: look at the record again
	}
	if err != nil {
		return err
	}
	return a.settleOrder(ctx, rec, o)
}

// cancelAtServer sends the cancel. An order paid or expired meanwhile is asked for and ends so.
func (a *Agent) cancelAtServer(ctx context.Context, rec queue.Record) error {
	if rec.Order.OrderID == "" {
		// The create request may have reached the server: learn the order's id first (the same
		// request answers the same order), then cancel it.
		return a.createOrder(ctx, rec)
	}
	o, err := a.opt.Orders.CancelOrder(ctx, rec.Order.OrderID)
	var prob *protocol.Problem
	if errors.As(err, &prob) && (prob.Code == protocol.CodeOrderAlreadyPaid || prob.Code == protocol.CodeOrderExpired) {
		o, err = a.opt.Orders.Order(ctx, rec.Order.OrderID, 0)
	}
	if errors.As(err, &prob) {
		// The server refuses to say anything about the order (e.g. order_not_found): nothing can be
		// paid through it.
		a.log.Error("order cancel refused by the server", "order", rec.TxnID, "code", prob.Code, "detail", prob.Detail)
		return a.updateOrder(ctx, rec.TxnID, func(r *queue.Record) (queue.State, error) {
			r.DeclineCode, r.DeclineMessage = prob.Code, "cancel refused by the server: "+prob.Detail
			return queue.StateCancelled, nil
		})
	}
	if err != nil {
		return err
	}
	return a.settleOrder(ctx, rec, o)
}

// settleOrder commits what the server says about the order: a paid order only with a server
// approval that verifies and names the order and its amount.
func (a *Agent) settleOrder(ctx context.Context, rec queue.Record, o protocol.Order) error {
	if o.Amount != rec.Amount {
		return fmt.Errorf("the server's order is for %s, the register asked for %s", o.Amount, rec.Amount)
	}
	var ap protocol.Approval
	switch o.State {
	case protocol.OrderPending:
		return nil // the long poll ended without a change: ask again
	case protocol.OrderPaid:
		var err error
		if ap, err = a.verifyApproval(ctx, o.Approval, o.OrderID, rec.Amount); err != nil {
			return fmt.Errorf("the server says paid, but its approval does not verify: %w", err)
		}
	}
	now := a.opt.Clock.Now()
	err := a.updateOrder(ctx, rec.TxnID, func(r *queue.Record) (queue.State, error) {
		if r.State.OrderFinal() {
			return r.State, nil
		}
		to := r.State
		switch o.State {
		case protocol.OrderPaid:
			to, r.Approval, r.ApprovalCode, r.ApprovedAt = queue.StatePaid, o.Approval, ap.ApprovalCode, ap.ApprovedAt
			r.Masked, r.Order.PaymentID, r.Order.PaidAt = ap.MaskedCustomer, ap.ApprovalID, ap.ApprovedAt
		case protocol.OrderExpired:
			to, r.DeclineCode, r.DeclineMessage = queue.StateExpired, protocol.CodeOrderExpired, "the customer did not pay before "+o.ExpiresAt.Local().Format("15:04:05")
		case protocol.OrderCancelled:
			to, r.DeclineCode, r.DeclineMessage = queue.StateCancelled, protocol.CodeOrderCancelled, "cancelled at the register"
		}
		r.UpdatedAt = now
		return to, nil
	})
	if err != nil {
		return err
	}
	a.log.Info("order outcome", "order", rec.TxnID, "order_id", o.OrderID, "state", o.State)
	a.notify()
	return nil
}

// reportOrder prints the outcome of a final order once: the paid receipt, or a slip saying the
// order expired or was cancelled (an order the server refused to create had no QR code: no slip). The print is committed as reported after it, so a
// restart between the two prints it again rather than never.
func (a *Agent) reportOrder(ctx context.Context, rec queue.Record) {
	if rec.Order == nil || rec.Order.Reported {
		return
	}
	var status queue.Print
	if rec.State != queue.StateDeclined { // no QR code was printed for a refused order: nothing to close
		status = a.printOrderOutcome(ctx, rec, false)
	}
	err := a.updateOrder(ctx, rec.TxnID, func(r *queue.Record) (queue.State, error) {
		r.Order.Reported, r.Print, r.Printed = true, status, r.Printed || status.State == queue.PrintPrinted
		return r.State, nil
	})
	if err != nil {
		a.log.Warn("could not record that the order's outcome was printed", "order", rec.TxnID, "err", err)
	}
	a.stats.Orders.Add(string(rec.State))
	a.notify()
}

// orderRecord reads order id.
func (a *Agent) orderRecord(ctx context.Context, id string) (queue.Record, error) {
	var rec queue.Record
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var err error
		rec, err = tx.Get(id)
		return err
	})
	if errors.Is(err, queue.ErrNotFound) || (err == nil && (rec.Kind != queue.KindOrder || rec.Order == nil)) {
		return rec, fmt.Errorf("%w: %s", ErrNoOrder, id)
	}
	return rec, err
}

// updateOrder changes order id in one transaction, on the stored copy: the follower and a cancel
// from the register never overwrite each other.
// change edits the record and returns the state it moves to (its own state to stay); the move is
// checked by queue.Move.
func (a *Agent) updateOrder(ctx context.Context, id string, change func(*queue.Record) (queue.State, error)) error {
	return a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		r, err := tx.Get(id)
		if errors.Is(err, queue.ErrNotFound) || (err == nil && (r.Kind != queue.KindOrder || r.Order == nil)) {
			return fmt.Errorf("%w: %s", ErrNoOrder, id)
		}
		if err != nil {
			return err
		}
		to, err := change(&r)
		if err != nil {
			return err
		}
		if to != r.State {
			r.UpdatedAt = a.opt.Clock.Now()
		}
		_, err = queue.Move(tx, r, to)
		return err
	})
}
