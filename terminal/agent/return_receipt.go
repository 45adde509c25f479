package agent

import (
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// buildReturnReceipt describes the slip of a void or a refund: what went back to the customer, of
// which sale, and whether the server has it yet. Like a sale's, it shows no account data.
func (a *Agent) buildReturnReceipt(r queue.Record, reprint bool) receipt.Receipt {
	title, total := "REFUND", "REFUNDED"
	if r.Kind == protocol.KindVoid {
		title, total = "VOID", "VOIDED"
	}
	rc := a.receiptHead(reprint)
	rc.Add(receipt.Center(title).Emphasized(), receipt.Rule(),
		receipt.Total(total, "-"+r.Amount.Receipt()), receipt.Rule())
	at := r.ApprovedAt
	if at.IsZero() {
		at = r.UpdatedAt
	}
	if r.Masked != "" {
		rc.Add(receipt.Pair("Customer", r.Masked))
	}
	rc.Add(receipt.Pair("Sale", r.TargetTxnID))
	if r.ApprovalCode != "" {
		rc.Add(receipt.Pair("Approval", r.ApprovalCode))
	}
	rc.Add(
		receipt.Pair("Date", at.Local().Format("2006-01-02 15:04:05")),
		receipt.Pair("Terminal", a.opt.Identity.TerminalID),
		receipt.Pair("Txn", r.TxnID),
	)
	if r.Reference != "" {
		rc.Add(receipt.Pair("Ref", r.Reference))
	}
	rc.Add(receipt.Rule())
	switch r.State {
	case queue.StateApproved, queue.StateSettled:
		rc.Add(receipt.Center("CONFIRMED BY THE SERVER").Emphasized())
	default:
		rc.Add(receipt.Center("PENDING").Emphasized(), receipt.Center("sent to the server when it is reachable"))
	}
	rc.Add(receipt.QR(r.TxnID))
	for _, l := range a.opt.Receipt.Footer {
		rc.Add(receipt.Center(l))
	}
	rc.Add(receipt.Feed(2))
	return rc
}
