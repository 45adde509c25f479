package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Errors of voids and refunds. Test with errors.Is.
var (
	ErrPINRequired = errors.New("agent: refunds and voids need the supervisor PIN")
	ErrPINWrong    = errors.New("agent: wrong supervisor PIN")
	ErrPINLocked   = errors.New("agent: too many wrong PINs; wait a minute")
	// ErrNotReturnable: the sale cannot be voided or refunded (declined, cancelled, already voided,
	// or refunds exceed it).
	ErrNotReturnable = errors.New("agent: the sale cannot be voided or refunded")
	ErrNoReturns     = errors.New("agent: refunds and voids are not available (no server client)")
)

// ReturnServer is the part of the settlement client voids and refunds need.
type ReturnServer interface {
	Void(ctx context.Context, req protocol.VoidRequest) (protocol.TransactionResponse, error)
	Refund(ctx context.Context, req protocol.RefundRequest) (protocol.TransactionResponse, error)
}

// PINChecker checks the supervisor PIN (a pin.Hash).
type PINChecker interface{ Check(pin string) bool }

// Kinds of ReturnView.
const (
	ReturnVoid   = protocol.KindVoid
	ReturnRefund = protocol.KindRefund
)

// Return states as the register sees them.
const (
	ReturnApproved = "approved" // the server voided or refunded it
	ReturnPending  = "pending"  // queued: the forwarder sends it (same id) when the server answers
	ReturnDeclined = "declined"
)

// ReturnRequest asks for a void or a refund of sale Target: a sale of this terminal, or one of another
// terminal of the same merchant (its transaction id as printed on its receipt). Amount is a
// refund's (zero: what is left of the sale); a void takes the whole sale.
type ReturnRequest struct {
	Target    string
	Amount    money.Amount
	Reference string
	PIN       string
}

// ReturnView is a void or a refund as the register sees it.
type ReturnView struct {
	ID           string        `json:"id"`
	Kind         string        `json:"kind"` // void or refund
	Target       string        `json:"target_id"`
	State        string        `json:"state"` // approved, pending or declined
	Amount       money.Amount  `json:"amount"`
	Reference    string        `json:"reference,omitempty"`
	Customer     string        `json:"customer,omitempty"`
	ApprovalCode string        `json:"approval_code,omitempty"`
	Code         protocol.Code `json:"code,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	PrintStatus  string        `json:"print_status,omitempty"`
	PrintAlert   string        `json:"print_alert,omitempty"` // as SaleView's
	// Forwarding is a pending return's queue state: queued, settled or refused.
	Forwarding string    `json:"forwarding,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func returnViewOf(r queue.Record) ReturnView {
	v := ReturnView{ID: r.TxnID, Kind: r.Kind, Target: r.TargetTxnID, Amount: r.Amount, Reference: r.Reference, Customer: r.Masked,
		ApprovalCode: r.ApprovalCode, Code: r.DeclineCode, Reason: r.DeclineMessage, PrintStatus: r.Print.String(),
		PrintAlert: PrintAlert(r.Print.String()), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	switch r.State {
	case queue.StateApproved:
		v.State = ReturnApproved
	case queue.StateQueued, queue.StateSettled:
		v.State, v.Forwarding = ReturnPending, string(r.State)
		if r.State == queue.StateSettled {
			v.State = ReturnApproved
		}
	case queue.StateRefused:
		v.State, v.Forwarding = ReturnDeclined, string(r.State)
		if r.Result != nil {
			v.Code, v.Reason = r.Result.Code, r.Result.Message
		}
	default:
		v.State = ReturnDeclined
	}
	return v
}

// pinGuard counts wrong PINs: after maxWrongPINs in a row, every PIN is refused for pinLockout.
type pinGuard struct {
	mu     sync.Mutex
	wrong  int
	locked time.Time
}

const (
	maxWrongPINs = 5
	pinLockout   = time.Minute
)

func (a *Agent) checkPIN(p string) error {
	if a.opt.PIN == nil {
		return nil
	}
	g := &a.pins
	g.mu.Lock()
	defer g.mu.Unlock()
	now := a.opt.Clock.Now()
	if now.Before(g.locked) {
		return ErrPINLocked
	}
	if p == "" {
		return ErrPINRequired
	}
	if !a.opt.PIN.Check(p) {
		g.wrong++
		if g.wrong >= maxWrongPINs {
			g.wrong, g.locked = 0, now.Add(pinLockout)
			a.log.Warn("supervisor PIN locked after wrong attempts", "attempts", maxWrongPINs, "for", pinLockout)
		}
		return ErrPINWrong
	}
	g.wrong = 0
	return nil
}

// Void cancels a whole sale: online at once when the server answers; a sale approved offline and
// not forwarded yet, or a sale whose void gets no answer, has its void queued (the forwarder sends it
// after the sale, under the void's own id, on every retry). Its slip is printed.
func (a *Agent) Void(ctx context.Context, req ReturnRequest) (ReturnView, error) {
	return a.reverse(ctx, protocol.KindVoid, req)
}

// Refund returns part or all of an approved sale to the customer; it needs the server (a refund
// whose answer is lost is queued under its own id so the answer is learned). Its slip is printed.
func (a *Agent) Refund(ctx context.Context, req ReturnRequest) (ReturnView, error) {
	return a.reverse(ctx, protocol.KindRefund, req)
}

func (a *Agent) reverse(ctx context.Context, kind string, req ReturnRequest) (ReturnView, error) {
	if a.opt.Returns == nil {
		return ReturnView{}, ErrNoReturns
	}
	if err := protocol.CheckID("sale id", req.Target); err != nil {
		return ReturnView{}, err
	}
	if err := protocol.CheckText("reference", req.Reference, protocol.MaxReferenceLen); err != nil {
		return ReturnView{}, err
	}
	if err := a.checkPIN(req.PIN); err != nil {
		return ReturnView{}, err
	}
	// One return at a time: two refunds of one sale must see each other's commit.
	a.returnMu.Lock()
	defer a.returnMu.Unlock()

	rec, target, local, err := a.newReturn(ctx, kind, req)
	if err != nil {
		return ReturnView{}, err
	}
	if local && target.State == queue.StateQueued {
		// The sale waits in the outbox: the server has not seen it. The void follows it there, so the
		// server settles the sale, then reverses it; asking the server now would tombstone the id and
		// the queued sale would be refused.
		rec = a.commitReturn(ctx, rec, queue.StateQueued, nil)
		a.log.Info("void queued after the offline sale it cancels", "txn", rec.TxnID, "target", rec.TargetTxnID)
		return a.returnDone(ctx, rec), nil
	}
	onlineCtx, cancel := context.WithTimeout(ctx, max(a.opt.SaleBudget-budgetReserve, budgetReserve))
	var resp protocol.TransactionResponse
	if kind == protocol.KindVoid {
		resp, err = a.opt.Returns.Void(onlineCtx, protocol.VoidRequest{TerminalTxnID: rec.TxnID, TargetTxnID: rec.TargetTxnID})
	} else {
		resp, err = a.opt.Returns.Refund(onlineCtx, protocol.RefundRequest{TerminalTxnID: rec.TxnID, TargetTxnID: rec.TargetTxnID, Amount: rec.Amount})
	}
	cancel()
	var prob *protocol.Problem
	var ue *client.UnreachableError
	switch {
	case err == nil:
		a.ServerAnswered()
		rec = a.returnAnswered(ctx, rec, resp)
	case errors.As(err, &prob):
		a.ServerAnswered()
		rec = a.declineReturn(ctx, rec, prob.Code, "refused by the server: "+prob.Detail)
	case kind == protocol.KindRefund && errors.As(err, &ue) && !ue.MaybeSent:
		a.breaker.failed(a.opt.Clock.Now())
		rec = a.declineReturn(ctx, rec, protocol.CodeUnavailable, "the server cannot be reached and a refund needs it; nothing was refunded, try again when the terminal is online")
	default:
		// No answer: the void (or a refund that may have arrived) is queued under its own id; the
		// forwarder sends the same request until the server answers it.
		a.breaker.failed(a.opt.Clock.Now())
		a.log.Warn("no answer to the "+kind+"; queued for the forwarder", "txn", rec.TxnID, "err", err)
		rec = a.commitReturn(ctx, rec, queue.StateQueued, nil)
	}
	return a.returnDone(ctx, rec), nil
}

// newReturn checks the target and commits the return's record (state sending) before anything is
// sent. local reports that the target is a sale of this terminal.
func (a *Agent) newReturn(ctx context.Context, kind string, req ReturnRequest) (rec, target queue.Record, local bool, err error) {
	now := a.opt.Clock.Now()
	err = a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		t, gerr := tx.Get(req.Target)
		switch {
		case errors.Is(gerr, queue.ErrNotFound):
			// Another terminal's sale (or one pruned here): the server knows it.
		case gerr != nil:
			return gerr
		default:
			if err := returnable(t, kind, req.Amount); err != nil {
				return err
			}
			target, local = t, true
		}
		amount := req.Amount
		if amount.Currency == "" {
			amount.Currency = a.opt.Currency
			if local {
				amount.Currency = target.Amount.Currency
			}
		}
		if local && (kind == protocol.KindVoid || amount.Minor == 0) {
			amount.Minor = target.Amount.Minor - target.Refunded
		}
		if kind == protocol.KindRefund {
			if err := amount.Validate(money.ParseOptions{}); err != nil {
				return fmt.Errorf("%w: %w", ErrBadAmount, err)
			}
		}
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		rec = queue.Record{Seq: seq, TxnID: queue.TxnID(a.opt.Identity.TerminalID, seq), Kind: kind, State: queue.StateSending,
			Amount: amount, Reference: req.Reference, TargetTxnID: req.Target, Masked: target.Masked, CreatedAt: now, UpdatedAt: now}
		return tx.Put(rec)
	})
	return rec, target, local, err
}

// returnable says why sale t cannot take a void or a refund of amount.
func returnable(t queue.Record, kind string, amount money.Amount) error {
	if t.Kind != protocol.KindOnline && t.Kind != protocol.KindOffline {
		return fmt.Errorf("%w: %s is not a sale", ErrNotReturnable, t.TxnID)
	}
	if v := viewOf(t); v.State != SaleApproved || t.State == queue.StateRefused {
		return fmt.Errorf("%w: %s is %s, nothing was charged", ErrNotReturnable, t.TxnID, v.State)
	}
	if t.VoidTxnID != "" {
		return fmt.Errorf("%w: %s is already voided (%s)", ErrNotReturnable, t.TxnID, t.VoidTxnID)
	}
	left := t.Amount.Minor - t.Refunded
	if left <= 0 {
		return fmt.Errorf("%w: %s is refunded in full", ErrNotReturnable, t.TxnID)
	}
	if kind == protocol.KindRefund {
		if t.State == queue.StateQueued {
			return fmt.Errorf("%w: %s was approved offline and is not settled yet; void it instead, or refund it once the server has it", ErrNotReturnable, t.TxnID)
		}
		if amount.Currency != "" && amount.Currency != t.Amount.Currency {
			return fmt.Errorf("%w: %s is in %s", ErrBadAmount, t.TxnID, t.Amount.Currency)
		}
		if amount.Minor > left {
			l := money.Amount{Minor: left, Currency: t.Amount.Currency}
			return fmt.Errorf("%w: only %s of %s is left to refund", ErrNotReturnable, l, t.TxnID)
		}
	}
	return nil
}

// returnAnswered commits the server's answer to a void or a refund.
func (a *Agent) returnAnswered(ctx context.Context, rec queue.Record, resp protocol.TransactionResponse) queue.Record {
	if resp.Status == protocol.StatusDeclined {
		a.log.Info(rec.Kind+" declined by the server", "txn", rec.TxnID, "code", resp.Code)
		return a.declineReturn(ctx, rec, resp.Code, resp.Message)
	}
	want := protocol.StatusVoided
	if rec.Kind == protocol.KindRefund {
		want = protocol.StatusRefunded
	}
	if resp.Status != want || resp.Approval == nil {
		// An answer this terminal cannot use: the same request is sent again by the forwarder.
		a.log.Error("unexpected answer to a "+rec.Kind+"; queued to ask again", "txn", rec.TxnID, "status", resp.Status)
		return a.commitReturn(ctx, rec, queue.StateQueued, nil)
	}
	ap, err := a.opt.Keys.VerifyApproval(*resp.Approval)
	if errors.Is(err, protocol.ErrUnknownKey) {
		if a.opt.Keys.Learn(ctx, resp.Approval.KeyID) == nil {
			ap, err = a.opt.Keys.VerifyApproval(*resp.Approval)
		}
	}
	if err == nil && ap.TerminalTxnID != rec.TxnID {
		err = fmt.Errorf("approval is for %s", ap.TerminalTxnID)
	}
	if err != nil {
		a.log.Error("the server's answer to a "+rec.Kind+" does not verify; queued to ask again", "txn", rec.TxnID, "err", err)
		return a.commitReturn(ctx, rec, queue.StateQueued, nil)
	}
	rec.ApprovalCode, rec.ApprovedAt = ap.ApprovalCode, ap.ApprovedAt
	if ap.Amount.Currency != "" {
		rec.Amount = ap.Amount // a void gives back what was left of the sale
	}
	if ap.MaskedCustomer != "" && rec.Masked == "" {
		rec.Masked = ap.MaskedCustomer
	}
	a.log.Info(rec.Kind+" approved online", "txn", rec.TxnID, "target", rec.TargetTxnID, "amount", rec.Amount.String())
	return a.commitReturn(ctx, rec, queue.StateApproved, resp.Approval)
}

// commitReturn stores the return in state st and, when it takes effect (approved or queued), marks
// its sale (voided, or the amount refunded) in the same transaction.
func (a *Agent) commitReturn(ctx context.Context, rec queue.Record, st queue.State, sa *protocol.SignedApproval) queue.Record {
	rec.UpdatedAt = a.opt.Clock.Now()
	if sa != nil {
		rec.Approval = sa
	}
	err := a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		if st == queue.StateApproved || st == queue.StateQueued {
			if t, err := tx.Get(rec.TargetTxnID); err == nil {
				if rec.Kind == protocol.KindVoid {
					t.VoidTxnID = rec.TxnID
				} else {
					t.Refunded += rec.Amount.Minor
				}
				if err := tx.Put(t); err != nil {
					return err
				}
			} else if !errors.Is(err, queue.ErrNotFound) {
				return err
			}
		}
		var err error
		rec, err = queue.Move(tx, rec, st)
		return err
	})
	if err != nil {
		a.log.Error("could not record the "+rec.Kind, "txn", rec.TxnID, "err", err)
		a.stats.StorageErrors.Add(1)
		if st == queue.StateApproved {
			// The server did it: the register must hear so, though the file keeps it open.
			return queue.Unstored(rec, st)
		}
		rec = queue.Unstored(rec, queue.StateDeclined)
		rec.DeclineCode, rec.DeclineMessage = protocol.CodeInternal, "the terminal could not store it ("+err.Error()+")"
	}
	a.notify()
	return rec
}

func (a *Agent) declineReturn(ctx context.Context, rec queue.Record, code protocol.Code, reason string) queue.Record {
	rec.DeclineCode, rec.DeclineMessage = code, reason
	return a.commitReturn(ctx, rec, queue.StateDeclined, nil)
}

// returnDone prints an effective return's slip and returns its view.
func (a *Agent) returnDone(ctx context.Context, rec queue.Record) ReturnView {
	if rec.State == queue.StateApproved || rec.State == queue.StateQueued {
		a.stats.Sales.Add(rec.Kind)
		if a.opt.Printer != nil {
			rec.Print = a.printReceipt(ctx, rec, false)
			if rec.Kind == protocol.KindRefund {
				a.refundPayout(ctx, rec)
			}
		} else {
			rec.Print = queue.Print{State: queue.PrintNoPrinter}
		}
	}
	return returnViewOf(rec)
}

// Return returns the void or refund with transaction id id.
func (a *Agent) Return(ctx context.Context, id string) (ReturnView, error) {
	var rec queue.Record
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var err error
		rec, err = tx.Get(id)
		return err
	})
	if errors.Is(err, queue.ErrNotFound) || (err == nil && rec.Kind != protocol.KindVoid && rec.Kind != protocol.KindRefund) {
		return ReturnView{}, fmt.Errorf("%w: %s is not a void or refund of this terminal", ErrNoSale, id)
	}
	if err != nil {
		return ReturnView{}, err
	}
	return returnViewOf(rec), nil
}
