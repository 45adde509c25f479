package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
)

// decideTimeout bounds the part of a sale after the scan: the online attempts (client.MaxSendAttempts
// of them), the offline check and the commit. It is generous; the client's per-attempt timeout is
// what normally ends a wait.
const decideTimeout = 2 * time.Minute

// run waits for the code and decides the sale. Every outcome is committed before it is published.
func (a *Agent) run(waitCtx context.Context, s *sale, rec queue.Record) {
	var c code
	select {
	case c = <-s.codes:
	case <-waitCtx.Done():
		reason := "cancelled by the register"
		if errors.Is(waitCtx.Err(), context.DeadlineExceeded) {
			reason = fmt.Sprintf("no code scanned within %s", a.opt.ScanTimeout)
		}
		a.finish(rec, queue.StateCancelled, "", reason)
		a.stats.Sales.Add("cancelled")
		a.release(s)
		return
	}
	// From here the sale is decided whatever the register does: a code was presented.
	ctx, cancel := context.WithTimeout(context.Background(), decideTimeout)
	defer cancel()
	rec = a.decide(ctx, rec, c.text)
	a.release(s)
	if rec.State == queue.StateApproved || rec.State == queue.StateQueued {
		a.printReceipt(ctx, rec, false)
		a.stats.SaleLatency.Observe(a.opt.Clock.Now().Sub(c.at))
	}
	a.stats.Sales.Add(saleOutcome(rec))
}

func saleOutcome(r queue.Record) string {
	switch {
	case r.State == queue.StateApproved:
		return "approved_online"
	case r.State == queue.StateQueued:
		return "approved_offline"
	}
	return string(r.State)
}

// decide takes a sale from its code to a committed outcome and returns the committed record. If a
// commit fails (full disk), the sale is reported declined and nothing the cashier sees says
// approved; an online approval that could not be stored is voided by Recover at the next start.
func (a *Agent) decide(ctx context.Context, rec queue.Record, text string) queue.Record {
	p, err := payload.ParseCurrent(text) // a retired SP1 code is declined payload_version at once
	if err != nil {
		code := payload.DeclineCode(err)
		if code == "" {
			code = protocol.CodePayloadMalformed
		}
		a.log.Info("sale declined: unreadable code", "txn", rec.TxnID, "code", code)
		return a.finish(rec, queue.StateDeclined, code, "not a valid payment code: "+err.Error())
	}

	// An offer in the code is checked offline and applied before anything else: the amount the server
	// and the offline rules see is the discounted one. A bad offer declines the sale (the customer
	// shows a code without it).
	applied, err := offline.CheckOffer(a.opt.Keys.Keys(), p, a.opt.Identity.MerchantID, rec.Amount)
	var d *offline.Decline
	if errors.As(err, &d) {
		a.log.Info("sale declined: the code's offer does not apply", "txn", rec.TxnID, "code", d.Code)
		return a.finish(rec, queue.StateDeclined, d.Code, d.Reason)
	}
	if applied.TokenID != "" {
		rec.Gross, rec.OfferID = rec.Amount.Minor, applied.TokenID
		rec.Amount.Minor -= applied.Discount
	}

	// Commit the request before it leaves the terminal: if the agent dies while it is out, Recover
	// finds it Sending and voids it.
	now := a.opt.Clock.Now()
	sending := rec
	sending.Payload, sending.Masked = text, p.Masked()
	sending.SeenKey, sending.AuthorizationID, sending.UpdatedAt = p.UseKey(), p.AuthorizationID, now
	err = a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		if err := offline.MarkCodeSeen(tx, p, rec.TxnID); err != nil {
			return err
		}
		if err := offline.MarkOfferSeen(tx, applied, rec.TxnID); err != nil {
			return err
		}
		_, err = queue.Move(tx, sending, queue.StateSending)
		return err
	})
	if errors.As(err, &d) {
		return a.finish(rec, queue.StateDeclined, d.Code, d.Reason)
	}
	if err != nil {
		return a.storageFailed(rec, err)
	}
	a.notify() // the register sees "processing" with the time the check began (checking_since)

	// While the server does not answer (the breaker is open), a code that passes every offline rule
	// is approved at once, without sending anything: nothing is unknown about this id.
	if open, since := a.breaker.open(); open {
		approved, err := a.opt.Verifier.Approve(ctx, a.opt.Store, sending, p, a.opt.Clock.Now())
		if err == nil {
			a.log.Info("sale approved offline at once: the server has not answered since", "txn", rec.TxnID, "since", since, "amount", rec.Amount.String())
			a.notify()
			return approved
		}
		if !errors.As(err, &d) {
			return a.storageFailed(sending, err)
		}
		a.log.Info("offline approval refused; asking the server although it did not answer lately", "txn", rec.TxnID, "code", d.Code)
	}

	// The online attempt (with its retries) gets the sale's budget, less what the offline check and
	// the commits need, so the cashier's wait stays under sale.wait_budget even with a hung server.
	onlineCtx, cancelOnline := context.WithTimeout(ctx, max(a.opt.SaleBudget-budgetReserve, budgetReserve))
	resp, err := a.opt.Server.Transaction(onlineCtx, protocol.TransactionRequest{
		TerminalTxnID: rec.TxnID, Amount: rec.Amount, Payload: text, Reference: rec.Reference, Gross: rec.Gross,
	})
	cancelOnline()
	if err == nil {
		a.ServerAnswered()
		return a.answered(ctx, sending, resp)
	}
	var prob *protocol.Problem
	if errors.As(err, &prob) {
		// The server refused the request itself; nothing was applied.
		a.ServerAnswered()
		a.log.Warn("sale refused by the server", "txn", rec.TxnID, "code", prob.Code, "detail", prob.Detail)
		return a.finish(sending, queue.StateDeclined, prob.Code, "refused by the server: "+prob.Detail)
	}
	a.breaker.failed(a.opt.Clock.Now())
	var ue *client.UnreachableError
	if errors.As(err, &ue) && !ue.MaybeSent {
		// Nothing reached the server (no connection): an offline approval under this id is the only
		// decision the server will ever see for it.
		a.log.Warn("server unreachable; trying offline approval", "txn", rec.TxnID, "err", err)
		return a.fallBack(ctx, sending, p)
	}
	// The request may have reached the server and its answer is lost: the server may have approved
	// or declined it. Approving offline under this id would replay the server's stored answer
	// later, which may be a decline while the register was told approved. So the attempt is
	// reversed (a void of this id, queued in the same commit: the server reverses a payment it made
	// or tombstones the id so it can never apply) and the sale is declined; the customer shows a
	// new code, which the open breaker decides offline at once.
	sending.MaybeSent = true
	a.log.Warn("no answer from the server within the sale budget; reversing the attempt", "txn", rec.TxnID, "budget", a.opt.SaleBudget, "err", err)
	return a.voidAndDecline(ctx, sending, protocol.CodeUnavailable,
		fmt.Sprintf("no answer from the server within %s; this attempt is cancelled, ask the customer for a new code (the next sale is decided offline at once)", a.opt.SaleBudget))
}

// answered commits the server's answer.
func (a *Agent) answered(ctx context.Context, rec queue.Record, resp protocol.TransactionResponse) queue.Record {
	switch resp.Status {
	case protocol.StatusApproved:
		ap, err := a.checkApproval(ctx, rec, resp)
		if err != nil {
			a.log.Error("server approval does not verify; voiding the request", "txn", rec.TxnID, "err", err)
			rec.MaybeSent = true
			return a.voidAndDecline(ctx, rec, protocol.CodeInternal, "the server's approval could not be verified: "+err.Error())
		}
		now := a.opt.Clock.Now()
		rec.Approval, rec.ApprovalCode = resp.Approval, ap.ApprovalCode
		rec.ApprovedAt, rec.UpdatedAt, rec.Kind = ap.ApprovedAt, now, protocol.KindOnline
		if ap.MaskedCustomer != "" {
			rec.Masked = ap.MaskedCustomer
		}
		rec, err = queue.Transition(ctx, a.opt.Store, rec, queue.StateApproved)
		if err != nil {
			return a.storageFailed(rec, err)
		}
		a.log.Info("sale approved online", "txn", rec.TxnID, "amount", rec.Amount.String())
		a.notify()
		return rec
	case protocol.StatusDeclined:
		a.log.Info("sale declined by the server", "txn", rec.TxnID, "code", resp.Code)
		return a.finish(rec, queue.StateDeclined, resp.Code, resp.Message)
	}
	rec.MaybeSent = true
	return a.voidAndDecline(ctx, rec, protocol.CodeInternal, fmt.Sprintf("the server answered with status %q", resp.Status))
}

// checkApproval verifies the server's signature and that the approval is for this sale.
func (a *Agent) checkApproval(ctx context.Context, rec queue.Record, resp protocol.TransactionResponse) (protocol.Approval, error) {
	return a.verifyApproval(ctx, resp.Approval, rec.TxnID, rec.Amount)
}

// verifyApproval checks a server-signed approval and that it names id and amount. An approval by a
// key the terminal does not know yet (the server rotated its key) is checked again once the key is
// learned, which only happens if a trusted key endorses it.
func (a *Agent) verifyApproval(ctx context.Context, sa *protocol.SignedApproval, id string, amount money.Amount) (protocol.Approval, error) {
	if sa == nil {
		return protocol.Approval{}, errors.New("approved without an approval")
	}
	ap, err := a.opt.Keys.VerifyApproval(*sa)
	if errors.Is(err, protocol.ErrUnknownKey) {
		a.log.Info("approval signed by a server key this terminal does not know; fetching the server's keys", "txn", id, "key_id", sa.KeyID)
		if lerr := a.opt.Keys.Learn(ctx, sa.KeyID); lerr != nil {
			return ap, fmt.Errorf("signed by a server key this terminal cannot trust: %w", lerr)
		}
		ap, err = a.opt.Keys.VerifyApproval(*sa)
	}
	if err != nil {
		return ap, err
	}
	if ap.TerminalTxnID != id || ap.Amount != amount {
		return ap, fmt.Errorf("approval is for %s %s, expected %s %s", ap.TerminalTxnID, ap.Amount, id, amount)
	}
	return ap, nil
}

// fallBack decides a sale whose online request got no answer: an offline approval under the same
// id if every offline rule passes, else a decline (and a void of the id if it may have been sent).
func (a *Agent) fallBack(ctx context.Context, rec queue.Record, p *payload.Payload) queue.Record {
	approved, err := a.opt.Verifier.Approve(ctx, a.opt.Store, rec, p, a.opt.Clock.Now())
	if err == nil {
		a.log.Info("sale approved offline", "txn", rec.TxnID, "amount", rec.Amount.String(), "authorization", approved.AuthorizationID)
		a.notify()
		return approved
	}
	var d *offline.Decline
	if !errors.As(err, &d) {
		return a.storageFailed(rec, err)
	}
	a.log.Info("offline approval refused", "txn", rec.TxnID, "code", d.Code, "reason", d.Reason)
	reason := "server unreachable and the code cannot be approved offline: " + d.Reason
	if rec.MaybeSent {
		return a.voidAndDecline(ctx, rec, d.Code, reason)
	}
	return a.finish(rec, queue.StateDeclined, d.Code, reason)
}

// voidAndDecline declines rec and, in the same transaction, queues a void of its id, so whatever
// the server did with it is undone.
func (a *Agent) voidAndDecline(ctx context.Context, rec queue.Record, code protocol.Code, reason string) queue.Record {
	now := a.opt.Clock.Now()
	err := a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		v, err := queueVoid(tx, a.opt.Identity.TerminalID, rec, now)
		if err != nil {
			return err
		}
		rec.DeclineCode, rec.DeclineMessage, rec.VoidTxnID, rec.UpdatedAt = code, reason, v.TxnID, now
		rec, err = queue.Move(tx, rec, queue.StateDeclined)
		return err
	})
	if err != nil {
		return a.storageFailed(rec, err)
	}
	a.notify()
	return rec
}

// queueVoid adds a void of target to the outbox.
func queueVoid(tx queue.Tx, terminalID string, target queue.Record, now time.Time) (queue.Record, error) {
	seq, err := tx.NextSeq()
	if err != nil {
		return queue.Record{}, err
	}
	v := queue.Record{Seq: seq, TxnID: queue.TxnID(terminalID, seq), Kind: protocol.KindVoid, State: queue.StateQueued,
		Amount: target.Amount, TargetTxnID: target.TxnID, CreatedAt: now, UpdatedAt: now}
	return v, tx.Put(v)
}

// finish commits a final state that charges nothing and publishes it.
func (a *Agent) finish(rec queue.Record, st queue.State, code protocol.Code, reason string) queue.Record {
	rec.DeclineCode, rec.DeclineMessage, rec.UpdatedAt = code, reason, a.opt.Clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := queue.Transition(ctx, a.opt.Store, rec, st)
	if err != nil {
		// The sale was not approved, so nothing is lost; the stored record stays open and Recover
		// closes it at the next start.
		a.log.Error("could not record the sale's outcome", "txn", rec.TxnID, "err", err)
		a.stats.StorageErrors.Add(1)
		a.keepUnstored(rec)
	}
	a.notify()
	return rec
}

// storageFailed reports a sale that could not be committed: declined to the register, nothing
// approved. The record in the file stays as it was (open), for Recover.
func (a *Agent) storageFailed(rec queue.Record, err error) queue.Record {
	a.log.Error("queue write failed: sale not approved", "txn", rec.TxnID, "err", err)
	a.stats.StorageErrors.Add(1)
	rec = queue.Unstored(rec, queue.StateDeclined)
	rec.DeclineCode = protocol.CodeInternal
	rec.DeclineMessage = "the terminal could not store the sale (" + err.Error() + "); not approved"
	a.keepUnstored(rec)
	a.notify()
	return rec
}

func (a *Agent) keepUnstored(rec queue.Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.unstored = append(a.unstored, rec)
	if len(a.unstored) > maxUnstored {
		a.unstored = a.unstored[1:]
	}
}
