package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

func (g *globals) apiClient() (*localapi.Client, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	return localapi.ClientFor(cfg.LocalAPI)
}

func saleCommand(g *globals) *cobra.Command {
	var amount, currency, reference, code string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sale --amount 12.50",
		Short: "Take a payment through the running agent: waits for the scan and prints the outcome",
		Long: "Starts a sale on the running agent, waits for the customer's code and prints the outcome and\n" +
			"the receipt. Exit status: 0 approved, 2 declined or cancelled, 1 error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			v, err := c.StartSale(ctx, localapi.StartSaleRequest{Amount: amount, Currency: currency, Reference: reference})
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(out, "sale %s: %s — waiting for the customer's code\n", v.ID, v.Amount)
			}
			if code != "" {
				if err := c.SubmitCode(ctx, v.ID, code); err != nil {
					return err
				}
			}
			checking := newCheckingLine(out)
			v, err = c.WaitFinal(ctx, v, func(v agent.SaleView) {
				if asJSON || v.Final {
					return
				}
				if v.State == agent.SaleProcessing {
					checking.onChange(v)
					return
				}
				fmt.Fprintf(out, "sale %s: %s\n", v.ID, v.State)
			})
			checking.stop()
			if ctx.Err() != nil && !v.Final {
				// Ctrl-C: the waiting sale is cancelled, not left open on the agent.
				if _, cerr := c.Cancel(bg(), v.ID); cerr != nil {
					fmt.Fprintln(out, "not cancelled, the sale is being decided:", cerr)
				}
				wctx, cancel := context.WithTimeout(bg(), 2*time.Minute)
				v, err = c.WaitFinal(wctx, v, nil)
				cancel()
			}
			if err != nil {
				return err
			}
			receipt := ""
			if v.State == agent.SaleApproved {
				v = waitPrinted(bg(), c, v)
				receipt, _ = c.Receipt(ctx, v.ID)
			}
			if err := writeOutcome(out, asJSON, v, receipt, func() { printOutcome(out, v) }); err != nil {
				return err
			}
			if v.State != agent.SaleApproved {
				return &ExitError{Code: ExitNotApproved, Err: fmt.Errorf("sale %s %s", v.ID, v.State)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "amount, e.g. 12.50 (required)")
	cmd.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency (default: the terminal's)")
	cmd.Flags().StringVar(&reference, "reference", "", "the register's reference for the sale")
	cmd.Flags().StringVar(&code, "code", "", "a payment code typed in instead of scanned")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	cmd.MarkFlagRequired("amount")
	return cmd
}

// writeOutcome writes a sale's or an order's outcome and receipt: as one JSON object (the view
// with a "receipt" field), or as the cashier's lines (say) followed by the receipt text.
func writeOutcome(out io.Writer, asJSON bool, view any, receipt string, say func()) error {
	if !asJSON {
		say()
		_, err := io.WriteString(out, receipt)
		return err
	}
	b, err := json.Marshal(view)
	if err != nil {
		return err
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	if receipt != "" {
		fields["receipt"] = receipt
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(fields)
}

// printOutcome writes the outcome as the console does (without colour): a framed APPROVED or
// DECLINED, the cashier's wording, and a receipt that did not print.
func printOutcome(w io.Writer, v agent.SaleView) {
	(&screen{out: w, sep: '.', reprint: " (posagent reprint " + v.ID + ")"}).saleOutcome(v)
}

// bg is a context for console calls that must not be cut by a cancelled read.
func bg() context.Context { return context.Background() }
