package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Print statuses as the register sees them (views' print_status): the words of queue.Print.
var (
	PrintPrinted   = queue.Print{State: queue.PrintPrinted}.String()
	PrintUnknown   = queue.Print{State: queue.PrintUnconfirmed}.String()
	PrintNoPrinter = queue.Print{State: queue.PrintNoPrinter}.String()
)

// defaultColumns is the receipt width when there is no printer to ask.
const defaultColumns = 48

// buildReceipt describes the receipt of an approved sale, void or refund. It never shows the payload
// or any account data: the customer is masked and the QR holds only the transaction id.
func (a *Agent) buildReceipt(r queue.Record, reprint bool) receipt.Receipt {
	if r.Kind == protocol.KindVoid || r.Kind == protocol.KindRefund {
		return a.buildReturnReceipt(r, reprint)
	}
	id := a.opt.Identity
	rc := a.receiptHead(reprint)
	rc.Add(receipt.Rule())
	if r.OfferID != "" {
		// The discount is shown against the gross, so the customer sees what the offer saved.
		gross := money.Amount{Minor: r.Gross, Currency: r.Amount.Currency}
		off := money.Amount{Minor: r.Gross - r.Amount.Minor, Currency: r.Amount.Currency}
		rc.Add(receipt.Pair("Subtotal", gross.Receipt()), receipt.Pair("Offer "+r.OfferID, "-"+off.Receipt()))
	}
	rc.Add(receipt.Total("TOTAL", r.Amount.Receipt()), receipt.Rule())
	at := r.ApprovedAt
	if at.IsZero() {
		at = r.UpdatedAt
	}
	rc.Add(
		receipt.Pair("Customer", r.Masked),
		receipt.Pair("Approval", r.ApprovalCode),
		receipt.Pair("Date", at.Local().Format("2006-01-02 15:04:05")),
		receipt.Pair("Terminal", id.TerminalID),
		receipt.Pair("Txn", r.TxnID),
	)
	if r.Reference != "" {
		rc.Add(receipt.Pair("Ref", r.Reference))
	}
	rc.Add(receipt.Rule())
	if r.State == queue.StateApproved {
		rc.Add(receipt.Center("ONLINE APPROVAL").Emphasized())
	} else {
		rc.Add(receipt.Center("OFFLINE APPROVAL").Emphasized(),
			receipt.Center("guaranteed by credential "+r.AuthorizationID))
	}
	rc.Add(receipt.QR(r.TxnID))
	for _, l := range a.opt.Receipt.Footer {
		rc.Add(receipt.Center(l))
	}
	rc.Add(receipt.Feed(2))
	return rc
}

// receiptHead starts every slip: the merchant's name and header lines, and the copy mark.
func (a *Agent) receiptHead(reprint bool) receipt.Receipt {
	id := a.opt.Identity
	rc := receipt.New()
	if id.MerchantName != "" {
		rc.Add(receipt.Title(id.MerchantName))
	}
	for _, l := range append(append([]string{}, id.ReceiptHeader...), a.opt.Receipt.Header...) {
		rc.Add(receipt.Center(l))
	}
	if reprint {
		rc.Add(receipt.Center("*** COPY ***").Emphasized())
	}
	return rc
}

// ReceiptText renders an approved sale's receipt as the printer prints it.
func (a *Agent) ReceiptText(ctx context.Context, id string) (string, error) {
	rec, err := a.approvedRecord(ctx, id)
	if err != nil {
		return "", err
	}
	rc := a.buildReceipt(rec, false)
	if a.opt.Printer != nil {
		return rc.TextFor(a.opt.Printer.Profile()), nil
	}
	return rc.Text(defaultColumns), nil
}

func (a *Agent) approvedRecord(ctx context.Context, id string) (queue.Record, error) {
	var rec queue.Record
	err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
		var err error
		rec, err = tx.Get(id)
		return err
	})
	if errors.Is(err, queue.ErrNotFound) {
		return rec, fmt.Errorf("%w: %s", ErrNoSale, id)
	}
	if err != nil {
		return rec, err
	}
	if rec.Kind == protocol.KindVoid || rec.Kind == protocol.KindRefund {
		if v := returnViewOf(rec); v.State == ReturnDeclined {
			return rec, fmt.Errorf("%w: %s is %s", ErrNotApproved, id, v.State)
		}
		return rec, nil
	}
	if v := viewOf(rec); v.State != SaleApproved || rec.Kind == queue.KindOrder {
		return rec, fmt.Errorf("%w: %s is %s", ErrNotApproved, id, v.State)
	}
	return rec, nil
}

// Reprint prints the receipt of an approved sale, void or refund again (any of this terminal's, by
// id). It is marked "*** COPY ***" only when an original came out (printed, or sent and not
// confirmed); a receipt that never printed (paper out) is printed as the original. A receipt that was
// sent but not confirmed by the printer has most likely printed: unless the cashier confirmed
// (checked the printer's output), Reprint returns ErrReprintUnconfirmed and prints nothing.
func (a *Agent) Reprint(ctx context.Context, id string, confirmed bool) (string, error) {
	rec, err := a.approvedRecord(ctx, id)
	if err != nil {
		return "", err
	}
	if a.opt.Printer == nil {
		return PrintNoPrinter, ErrNoPrinter
	}
	if rec.Print.State == queue.PrintUnconfirmed && !confirmed {
		return rec.Print.String(), fmt.Errorf("%w (%s)", ErrReprintUnconfirmed, id)
	}
	return a.printReceipt(ctx, rec, originalOut(rec)).String(), nil
}

// originalOut reports whether an original of rec's receipt may be in someone's hands: one printed, or
// one sent that the printer did not confirm.
func originalOut(rec queue.Record) bool {
	return rec.Printed || rec.Print.State == queue.PrintUnconfirmed
}

// printReceipt prints and records the print status. A printer failure never changes the sale: it
// stays approved and the receipt can be reprinted.
func (a *Agent) printReceipt(ctx context.Context, rec queue.Record, reprint bool) queue.Print {
	status := a.printSlip(ctx, a.buildReceipt(rec, reprint))
	err := a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		cur, err := tx.Get(rec.TxnID)
		if err != nil {
			return err
		}
		cur.Print, cur.Printed = status, cur.Printed || status.State == queue.PrintPrinted
		return tx.Put(cur)
	})
	if err != nil {
		a.log.Warn("could not record the print status", "txn", rec.TxnID, "err", err)
	}
	a.notify()
	return status
}

func (a *Agent) print(ctx context.Context, rc receipt.Receipt) queue.Print {
	job, err := rc.ESCPOS(a.opt.Printer.Profile())
	if err != nil {
		a.log.Error("receipt cannot be rendered", "err", err)
		return queue.Print{State: queue.PrintFailed, Detail: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, a.opt.PrintTimeout)
	defer cancel()
	res, err := a.opt.Printer.Print(ctx, job)
	switch res {
	case printer.Printed:
		return queue.Print{State: queue.PrintPrinted}
	case printer.NotPrinted:
		a.log.Warn("receipt not printed", "err", err)
		return queue.Print{State: queue.PrintFailed, Detail: printHint(err)}
	}
	// Bytes went out: the receipt may well have printed, so it is never reported "not printed".
	if err != nil {
		a.log.Warn("receipt sent but not confirmed", "err", err)
	}
	return queue.Print{State: queue.PrintUnconfirmed}
}

// PrintAlert is what the cashier must see with a sale whose receipt did not print ("RECEIPT NOT
// PRINTED — load paper, then reprint"), from its print status; "" when there is nothing to do.
func PrintAlert(status string) string {
	p := queue.ParsePrintStatus(status)
	if p.State != queue.PrintFailed {
		return ""
	}
	hint := p.Detail
	action := "reprint when the printer is ready"
	if _, a, ok := strings.Cut(hint, "; "); ok {
		action = a
	}
	return "RECEIPT NOT PRINTED — " + action
}

// printHint says what the cashier should do about a print error.
func printHint(err error) string {
	switch {
	case errors.Is(err, printer.ErrPaperOut):
		return "printer out of paper; load paper, then reprint"
	case errors.Is(err, printer.ErrCoverOpen):
		return "printer cover open; close the cover, then reprint"
	case errors.Is(err, printer.ErrDisconnected):
		return "printer disconnected; check the cable, then reprint"
	}
	return err.Error() + "; reprint when the printer is ready"
}
