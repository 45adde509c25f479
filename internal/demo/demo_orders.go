package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

// orderAmount is the flow 2 demo's amount: over the phone's 20.00 cap per payment, so a scanned
// code cannot pay it and the customer confirms it on the phone instead.
const (
	orderAmount      = "42.50"
	orderAmountMinor = 4250
)

// demoOrder is the flow 2 part of `make demo`: an amount over the customer's cap is declined as a
// scanned sale, the register takes it as an order, posagent prints the order's QR code, the phone
// reads the printed receipt's image and confirms, posagent prints the paid receipt.
func demoOrder(ctx context.Context, lab *Lab, w *Wallet, out io.Writer, step func(string, ...any)) error {
	before, err := lab.Balances(ctx)
	if err != nil {
		return err
	}
	merchantBefore, err := MerchantBalance(before)
	if err != nil {
		return err
	}
	step("flow 2: a %s EUR sale with the phone's code is over its 20.00 cap per payment", orderAmount)
	code, err := w.Code(ctx)
	if err != nil {
		return err
	}
	v, err := lab.Sale(ctx, orderAmount, code)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    sale %s %s: %s %s — %s\n", v.ID, v.Amount, v.State, v.Code, v.Reason)
	if v.State != agent.SaleDeclined || v.Code != protocol.CodeConfirmationRequired || v.Suggest != agent.SuggestOrder {
		return fmt.Errorf("a sale over the cap: want declined %s with the order hint, got %s %s (hint %q)", protocol.CodeConfirmationRequired, v.State, v.Code, v.Suggest)
	}

	step("the register takes it as an order: settlementd signs it, posagent prints its QR code")
	o, slip, err := lab.StartOrder(ctx, orderAmount, "TABLE-4")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    order %s (server %s), valid until %s\n---- receipt %d (%s) ----\n%s", o.ID, o.OrderID,
		o.ExpiresAt.Local().Format("15:04:05"), slip.Seq, slip.PNGPath, slip.Text)

	step("the customer's phone photographs the printed QR (the receipt PNG), checks the server's signature, shows the shop and amount, confirms")
	paid, err := w.PayImage(ctx, slip.PNGPath)
	if err != nil {
		return err
	}
	if !paid.Paid || paid.Payment == nil {
		return fmt.Errorf("wallet pay did not pay: %+v", paid)
	}
	fmt.Fprintf(out, "    wallet: paid %s to %s, approval %s\n", paid.Payment.Approval.Amount, paid.Payment.Order.MerchantName, paid.Payment.Approval.ApprovalCode)

	step("posagent learns the order is paid (long poll) and prints the receipt")
	o, err = WaitOrderDone(ctx, lab.API, o.ID)
	if err != nil {
		return err
	}
	if o.State != agent.OrderPaid || o.ApprovalCode != paid.Payment.Approval.ApprovalCode {
		return fmt.Errorf("order %s ended %s (approval %q), the phone was told paid with %q", o.ID, o.State, o.ApprovalCode, paid.Payment.Approval.ApprovalCode)
	}
	receipt, err := ReceiptWithQR(ctx, lab.Printer, o.OrderID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "---- receipt %d (%s) ----\n%s", receipt.Seq, receipt.PNGPath, receipt.Text)
	if !strings.Contains(receipt.Text, "PAID") || !strings.Contains(receipt.Text, o.ApprovalCode) {
		return fmt.Errorf("receipt %d is not the paid receipt of %s", receipt.Seq, o.ID)
	}

	after, err := lab.Balances(ctx)
	if err != nil {
		return err
	}
	merchantAfter, err := MerchantBalance(after)
	if err != nil {
		return err
	}
	if got := merchantAfter - merchantBefore; got != orderAmountMinor {
		return fmt.Errorf("the merchant received %d minor units for the order, want %d", got, orderAmountMinor)
	}
	txns, err := lab.Transactions(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, x := range txns {
		if x.TerminalTxnID == o.OrderID && x.Status == protocol.StatusApproved {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("order %s is paid %d times on the server", o.OrderID, n)
	}
	check, err := lab.Admin(ctx, "check")
	if err != nil {
		return fmt.Errorf("ledger check failed: %w", err)
	}
	fmt.Fprintf(out, "    %s\n", strings.TrimSpace(check))
	step("reconciled: order %s paid once, confirmed on the phone; merchant +%s EUR", o.ID, orderAmount)
	return nil
}
