package agent

import (
	"context"
	"errors"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Sale states as the register sees them.
const (
	SaleWaiting    = "waiting"    // waiting for the customer's code
	SaleProcessing = "processing" // a code was scanned; the outcome is being decided
	SaleApproved   = "approved"
	SaleDeclined   = "declined"
	SaleCancelled  = "cancelled"
)

// SaleView is a sale as the register sees it.
type SaleView struct {
	ID        string       `json:"id"`
	State     string       `json:"state"`
	Final     bool         `json:"final"`
	Offline   bool         `json:"offline,omitempty"`
	Amount    money.Amount `json:"amount"`
	Reference string       `json:"reference,omitempty"`
	// Gross and OfferID are set when the code carried an offer the terminal applied: Amount is the
	// discounted total, Gross the amount the register asked for (minor units).
	Gross        int64         `json:"gross,omitempty"`
	OfferID      string        `json:"offer_id,omitempty"`
	Customer     string        `json:"customer,omitempty"` // masked
	ApprovalCode string        `json:"approval_code,omitempty"`
	Code         protocol.Code `json:"code,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	PrintStatus  string        `json:"print_status,omitempty"`
	// PrintAlert is set when the sale's receipt did not print: "RECEIPT NOT PRINTED — load paper,
	// then reprint". The register shows it with the sale.
	PrintAlert string `json:"print_alert,omitempty"`
	// Suggest names what the cashier should do next: SuggestOrder when the amount needs the
	// customer's confirmation on the phone (a merchant-presented order).
	Suggest string `json:"suggest,omitempty"`
	// Forwarding is the state of an offline approval's forwarding: queued, settled or refused.
	Forwarding string `json:"forwarding,omitempty"`
	// ScansIgnored counts the scans that were not payment codes while the sale waited; Notice says
	// the last one's reason, for the cashier ("scan ignored: a EAN/UPC barcode (]E0), ...").
	ScansIgnored int `json:"scans_ignored,omitempty"`
	// CheckingSince is set while a scanned code is being decided (state processing): when the
	// check with the server began, so the register can show "checking with server… 2s".
	CheckingSince time.Time `json:"checking_since,omitzero"`
	Notice        string    `json:"notice,omitempty"`
	// VoidID names the void of an approved sale (made at this terminal); Refunded is what refunds
	// made here gave back of it (minor units).
	VoidID    string    `json:"void_id,omitempty"`
	Refunded  int64     `json:"refunded,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// viewOf maps a stored record to what the register sees.
func viewOf(r queue.Record) SaleView {
	v := SaleView{ID: r.TxnID, Amount: r.Amount, Reference: r.Reference, Gross: r.Gross, OfferID: r.OfferID, Customer: r.Masked, ApprovalCode: r.ApprovalCode,
		Code: r.DeclineCode, Reason: r.DeclineMessage, PrintStatus: r.Print.String(), PrintAlert: PrintAlert(r.Print.String()), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	switch r.State {
	case queue.StateWaiting:
		v.State = SaleWaiting
	case queue.StateSending:
		v.State, v.CheckingSince = SaleProcessing, r.UpdatedAt
	case queue.StateApproved:
		v.State, v.Final, v.VoidID, v.Refunded = SaleApproved, true, r.VoidTxnID, r.Refunded
	case queue.StateQueued, queue.StateSettled, queue.StateRefused:
		v.State, v.Final, v.Offline, v.Forwarding = SaleApproved, true, true, string(r.State)
		v.VoidID, v.Refunded = r.VoidTxnID, r.Refunded
	case queue.StateCancelled:
		v.State, v.Final = SaleCancelled, true
	default:
		v.State, v.Final = SaleDeclined, true
		// Over the customer's cap per payment: only the customer's confirmation of the exact amount
		// on the phone (an order) can take it.
		if r.DeclineCode == protocol.CodeConfirmationRequired {
			v.Suggest = SuggestOrder
		}
	}
	return v
}

// isSale reports whether r is a sale (not a void, a refund or an order).
func isSale(r queue.Record) bool {
	return r.Kind == protocol.KindOnline || r.Kind == protocol.KindOffline
}

// SuggestOrder tells the register to take the declined amount as an order (POST /v1/orders).
const SuggestOrder = "order"

// Sale returns the sale with transaction id id.
func (a *Agent) Sale(ctx context.Context, id string) (SaleView, error) {
	a.mu.Lock()
	for _, r := range a.unstored {
		if r.TxnID == id {
			a.mu.Unlock()
			return viewOf(r), nil
		}
	}
	a.mu.Unlock()
	var rec queue.Record
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var err error
		rec, err = tx.Get(id)
		return err
	})
	if errors.Is(err, queue.ErrNotFound) || (err == nil && !isSale(rec)) {
		return SaleView{}, ErrNoSale
	}
	if err != nil {
		return SaleView{}, err
	}
	v := viewOf(rec)
	a.mu.Lock()
	if s := a.current; s != nil && s.id == id {
		v.ScansIgnored, v.Notice = s.ignored, s.notice
	}
	a.mu.Unlock()
	return v, nil
}

// Wait returns the sale once it is final or its state differs from known, or when ctx ends (with
// the latest view and no error).
func (a *Agent) Wait(ctx context.Context, id, known string) (SaleView, error) {
	for {
		ch := a.changes()
		v, err := a.Sale(ctx, id)
		if err != nil || v.Final || v.State != known {
			return v, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return v, nil
		}
	}
}

// Current returns the id of the sale in progress, or "".
func (a *Agent) Current() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == nil {
		return ""
	}
	return a.current.id
}

// Recent returns the last n sales, newest first.
func (a *Agent) Recent(ctx context.Context, n int) ([]SaleView, error) {
	var out []SaleView
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var before uint64
		for len(out) < n {
			recs, err := tx.Recent(before, n)
			if err != nil || len(recs) == 0 {
				return err
			}
			for _, r := range recs {
				if isSale(r) && len(out) < n {
					out = append(out, viewOf(r))
				}
			}
			before = recs[len(recs)-1].Seq
		}
		return nil
	})
	return out, err
}
