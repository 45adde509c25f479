package agent

import (
	"context"
	"fmt"

	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Order slips. The order's QR code carries the server-signed order (merchant, amount, expiry),
// sized for a phone camera (receipt.PhoneQR); the paid receipt carries the server's approval code
// and a QR of the order id, which is the payment's id for a void or refund. None shows account data.

// buildOrderQR lays out the slip the customer scans.
func (a *Agent) buildOrderQR(r queue.Record, reprint bool) receipt.Receipt {
	rc := a.receiptHead(reprint)
	rc.Add(receipt.Rule(), receipt.Center("SCAN TO PAY").Emphasized(), receipt.Rule(),
		receipt.Total("TOTAL", r.Amount.Receipt()),
		receipt.Pair("Order", r.TxnID))
	if r.Reference != "" {
		rc.Add(receipt.Pair("Ref", r.Reference))
	}
	rc.Add(receipt.Pair("Valid until", r.Order.ExpiresAt.Local().Format("2006-01-02 15:04")),
		receipt.PhoneQR(r.Order.QR),
		receipt.Center("Scan with your stillpay app,"),
		receipt.Center("check the shop and the amount"),
		receipt.Center("and confirm on your phone."),
		receipt.Feed(2))
	return rc
}

// buildOrderOutcome lays out the paid receipt, or the slip of an order that ended unpaid.
func (a *Agent) buildOrderOutcome(r queue.Record, reprint bool) receipt.Receipt {
	id := a.opt.Identity
	rc := a.receiptHead(reprint)
	if r.State != queue.StatePaid {
		title := "ORDER CANCELLED"
		if r.State == queue.StateExpired {
			title = "ORDER EXPIRED"
		}
		rc.Add(receipt.Rule(), receipt.Center(title).Emphasized(), receipt.Rule(),
			receipt.Pair("Amount", r.Amount.Receipt()), receipt.Pair("Order", r.TxnID))
		if r.Reference != "" {
			rc.Add(receipt.Pair("Ref", r.Reference))
		}
		rc.Add(receipt.Center("NOT PAID - nothing was charged"), receipt.Feed(2))
		return rc
	}
	rc.Add(receipt.Rule(), receipt.Total("TOTAL", r.Amount.Receipt()), receipt.Rule(),
		receipt.Pair("Customer", r.Masked),
		receipt.Pair("Approval", r.ApprovalCode),
		receipt.Pair("Date", r.ApprovedAt.Local().Format("2006-01-02 15:04:05")),
		receipt.Pair("Terminal", id.TerminalID),
		receipt.Pair("Order", r.TxnID))
	if r.Reference != "" {
		rc.Add(receipt.Pair("Ref", r.Reference))
	}
	rc.Add(receipt.Rule(), receipt.Center("PAID - CONFIRMED ON THE PHONE").Emphasized(),
		receipt.QR(r.Order.OrderID))
	for _, l := range a.opt.Receipt.Footer {
		rc.Add(receipt.Center(l))
	}
	rc.Add(receipt.Feed(2))
	return rc
}

// printOrderQR prints the order's QR slip and returns the print status.
func (a *Agent) printOrderQR(ctx context.Context, r queue.Record, reprint bool) queue.Print {
	return a.printSlip(ctx, a.buildOrderQR(r, reprint))
}

// printOrderOutcome prints the paid receipt or the unpaid slip and returns the print status.
func (a *Agent) printOrderOutcome(ctx context.Context, r queue.Record, reprint bool) queue.Print {
	return a.printSlip(ctx, a.buildOrderOutcome(r, reprint))
}

func (a *Agent) printSlip(ctx context.Context, rc receipt.Receipt) queue.Print {
	a.printMu.Lock()
	defer a.printMu.Unlock()
	status := queue.Print{State: queue.PrintNoPrinter}
	if a.opt.Printer != nil {
		status = a.print(ctx, rc)
	}
	a.stats.setPrinter(status.String())
	return status
}

// OrderReceiptText renders what was or will be printed for an order: the QR slip while it is
// pending, the outcome once it is final.
func (a *Agent) OrderReceiptText(ctx context.Context, id string) (string, error) {
	rec, err := a.orderRecord(ctx, id)
	if err != nil {
		return "", err
	}
	rc, err := a.orderSlip(rec, false)
	if err != nil {
		return "", err
	}
	if a.opt.Printer != nil {
		return rc.TextFor(a.opt.Printer.Profile()), nil
	}
	return rc.Text(defaultColumns), nil
}

// orderSlip is the slip that shows the order's state now.
func (a *Agent) orderSlip(rec queue.Record, reprint bool) (receipt.Receipt, error) {
	switch {
	case rec.State == queue.StateDeclined:
		return receipt.Receipt{}, fmt.Errorf("%w: %s was refused by the server: %s", ErrNotApproved, rec.TxnID, rec.DeclineMessage)
	case rec.State.OrderFinal():
		return a.buildOrderOutcome(rec, reprint), nil
	case rec.Order.QR != "":
		return a.buildOrderQR(rec, reprint), nil
	}
	return receipt.Receipt{}, fmt.Errorf("%w: %s is still being created", ErrNotApproved, rec.TxnID)
}

// ReprintOrder prints the order's slip again, marked as a copy: its QR code while it is pending (a
// torn or smudged code), its receipt once it has an outcome.
func (a *Agent) ReprintOrder(ctx context.Context, id string) (string, error) {
	rec, err := a.orderRecord(ctx, id)
	if err != nil {
		return "", err
	}
	if a.opt.Printer == nil {
		return PrintNoPrinter, ErrNoPrinter
	}
	rc, err := a.orderSlip(rec, true)
	if err != nil {
		return "", err
	}
	return a.printSlip(ctx, rc).String(), nil
}
