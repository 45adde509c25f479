package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

func orderCommand(g *globals) *cobra.Command {
	var amount, currency, reference string
	var expires time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "order --amount 12.50",
		Short: "Take a payment as an order: print its QR code, wait for the customer's phone, print the receipt",
		Long: "Creates a merchant-presented order through the running agent: settlementd signs it, the printer\n" +
			"prints its QR code with the shop, the amount and the expiry; the customer scans it with the\n" +
			"stillpay app and confirms. The command waits and prints the outcome; the paid receipt (or an\n" +
			"expired / cancelled slip) is printed. Ctrl-C stops waiting, not the order: the agent keeps\n" +
			"following it. Exit status: 0 paid, 2 expired, cancelled or refused, 1 error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			req := localapi.StartOrderRequest{Amount: amount, Currency: currency, Reference: reference}
			if expires > 0 {
				req.ExpiresIn = expires.String()
			}
			v, err := c.StartOrder(ctx, req)
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(out, "order %s: %s — creating\n", v.ID, v.Amount)
			}
			v, err = c.WaitOrderDone(ctx, v, func(v agent.OrderView) {
				if !asJSON && !v.Final {
					printOrderProgress(out, v)
				}
			})
			if err != nil {
				return err
			}
			receipt, _ := c.OrderReceipt(ctx, v.ID)
			if err := writeOutcome(out, asJSON, v, receipt, func() { printOrderOutcome(out, v) }); err != nil {
				return err
			}
			if v.State != agent.OrderPaid {
				return &ExitError{Code: ExitNotApproved, Err: fmt.Errorf("order %s %s", v.ID, v.State)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "amount, e.g. 12.50 (required)")
	cmd.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency (default: the terminal's)")
	cmd.Flags().StringVar(&reference, "reference", "", "the register's reference for the order")
	cmd.Flags().DurationVar(&expires, "expires", 0, fmt.Sprintf("how long the customer has to pay (default %v, at most %v)", protocol.DefaultOrderTTL, protocol.MaxOrderTTL))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	cmd.MarkFlagRequired("amount")
	return cmd
}

// printOrderProgress says what the order waits for.
func printOrderProgress(w io.Writer, v agent.OrderView) {
	switch v.State {
	case agent.OrderPending:
		fmt.Fprintf(w, "order %s: QR code printed (%s) — the customer scans it and confirms on the phone; valid until %s\n",
			v.ID, v.QRPrintStatus, v.ExpiresAt.Local().Format("15:04:05"))
	case agent.OrderCancelling:
		fmt.Fprintf(w, "order %s: cancelling (the server has the last word: a payment made meanwhile stands)\n", v.ID)
	default:
		fmt.Fprintf(w, "order %s: %s\n", v.ID, v.State)
	}
}

// printOrderOutcome writes the outcome in one or two lines a cashier understands.
func printOrderOutcome(w io.Writer, v agent.OrderView) {
	switch v.State {
	case agent.OrderPaid:
		fmt.Fprintf(w, "PAID %s %s — customer %s, approval %s, confirmed on the phone\n", v.ID, v.Amount, v.Customer, v.ApprovalCode)
	case agent.OrderDeclined:
		fmt.Fprintf(w, "NOT CREATED %s %s — %s: %s\n", v.ID, v.Amount, v.Code, v.Reason)
	default:
		fmt.Fprintf(w, "%s %s %s — not paid: %s\n", map[string]string{agent.OrderExpired: "EXPIRED", agent.OrderCancelled: "CANCELLED"}[v.State], v.ID, v.Amount, v.Reason)
	}
	if v.PrintStatus != "" && v.PrintStatus != agent.PrintPrinted {
		fmt.Fprintf(w, "receipt: %s\n", v.PrintStatus)
	}
}

func stickerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "sticker",
		Short: "Print the lane's static QR code for the counter: customers scan it, enter the amount, and pay",
		Long: "Prints the lane's sticker through the running agent: a QR code signed by settlementd that names\n" +
			"this lane. A customer scans it with the stillpay app, enters the amount and confirms; the agent\n" +
			"learns of the payment from the server's order feed and prints the receipt. The sticker stays\n" +
			"the same; print it again when it wears out.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			r, err := c.PrintSticker(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sticker %s of lane %s: %s\n", r.StickerID, r.TerminalID, r.PrintStatus)
			return nil
		},
	}
}
