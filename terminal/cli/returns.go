package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/pin"
)

func moneyOf(minor int64, currency string) money.Amount {
	return money.Amount{Minor: minor, Currency: currency}
}

// void runs "void [ID]" at the console: the last approved sale by default.
func (k *console) void(ctx context.Context, args []string) {
	id := k.lastSale
	if len(args) > 0 {
		id = args[0]
	}
	if id == "" {
		fmt.Fprintln(k.out, "no sale to void yet (type void ID)")
		return
	}
	k.doReturn(ctx, protocol.KindVoid, localapi.ReturnRequestBody{SaleID: id})
}

// refund runs "refund AMOUNT|all [ID]" at the console.
func (k *console) refund(ctx context.Context, args []string) {
	if len(args) == 0 {
		fmt.Fprintln(k.out, `type "refund 2.50" (or "refund all"), then optionally the sale's id`)
		return
	}
	req := localapi.ReturnRequestBody{SaleID: k.lastSale}
	if args[0] != "all" {
		req.Amount = k.scr.typedAmount(args[0])
	}
	if len(args) > 1 {
		req.SaleID = args[1]
	}
	if req.SaleID == "" {
		fmt.Fprintln(k.out, "no sale to refund yet (type refund AMOUNT ID)")
		return
	}
	k.doReturn(ctx, protocol.KindRefund, req)
}

// doReturn asks for the void or refund, and for the supervisor PIN when the agent wants one.
func (k *console) doReturn(ctx context.Context, kind string, req localapi.ReturnRequestBody) {
	do := k.c.Refund
	if kind == protocol.KindVoid {
		do = k.c.Void
	}
	fmt.Fprintf(k.out, "%s of %s…\n", kind, req.SaleID)
	v, err := do(ctx, req)
	if errors.Is(err, &protocol.Problem{Code: localapi.CodePINRequired}) {
		fmt.Fprint(k.out, "supervisor PIN: ")
		restore := hideInput(os.Stdin)
		req.PIN = <-k.lines
		restore()
		fmt.Fprintln(k.out)
		v, err = do(ctx, req)
	}
	if err != nil {
		var p *protocol.Problem
		if errors.As(err, &p) {
			fmt.Fprintf(k.out, "%s refused: %s\n", kind, cashierReason(p.Code, p.Detail))
			return
		}
		fmt.Fprintf(k.out, "%s failed: %v\n", kind, err)
		return
	}
	k.scr.returnOutcome(v)
	if v.State != agent.ReturnDeclined {
		k.last = v.ID
	}
}

// returnCommand is `posagent void` and `posagent refund`.
func returnCommand(g *globals, kind string) *cobra.Command {
	var amount, currency, reference, pinFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   kind + " SALE_ID",
		Short: "Void a whole sale (before it is settled: an offline sale's void is queued after it)",
		Long: "Asks the running agent to " + kind + " sale SALE_ID (a sale of this terminal, or of another terminal of the\n" +
			"same merchant by the transaction id on its receipt) and prints its slip. Exit status: 0 done or\n" +
			"pending (queued for the server), 2 declined, 1 error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			req := localapi.ReturnRequestBody{SaleID: args[0], Amount: amount, Currency: currency, Reference: reference}
			if pinFile != "" {
				if req.PIN, err = readPIN(pinFile, cmd.InOrStdin()); err != nil {
					return err
				}
			}
			do := c.Refund
			if kind == protocol.KindVoid {
				do = c.Void
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			v, err := do(ctx, req)
			if err != nil {
				return err
			}
			slip := ""
			if v.State != agent.ReturnDeclined {
				slip, _ = c.ReturnReceipt(ctx, kind, v.ID)
			}
			if err := writeOutcome(out, asJSON, v, slip, func() { (&screen{out: out, sep: '.'}).returnOutcome(v) }); err != nil {
				return err
			}
			if v.State == agent.ReturnDeclined {
				return &ExitError{Code: ExitNotApproved, Err: fmt.Errorf("%s %s declined: %s", kind, v.ID, v.Code)}
			}
			return nil
		},
	}
	if kind == protocol.KindRefund {
		cmd.Short = "Refund part or all of a sale to the customer's account"
		cmd.Flags().StringVar(&amount, "amount", "", "amount to refund, e.g. 2.50 (default: all that is left of the sale)")
		cmd.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency (default: the sale's)")
	}
	cmd.Flags().StringVar(&reference, "reference", "", "the register's reference")
	cmd.Flags().StringVar(&pinFile, "pin-file", "", "file holding the supervisor PIN (refunds.pin_hash); - reads it from stdin")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	return cmd
}

// readPIN reads the first line of path ("-": in).
func readPIN(path string, in io.Reader) (string, error) {
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		in = f
	}
	line, err := bufio.NewReader(io.LimitReader(in, 256)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// reprintCommand is `posagent reprint ID`: any sale's, void's or refund's receipt by its id.
func reprintCommand(g *globals) *cobra.Command {
	var confirm bool
	cmd := &cobra.Command{
		Use:   "reprint ID",
		Short: "Print a sale's, void's or refund's receipt again (marked COPY only if an original printed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			r, err := c.Reprint(cmd.Context(), args[0], confirm)
			if errors.Is(err, &protocol.Problem{Code: localapi.CodeReprintUnconfirmed}) {
				return fmt.Errorf("%w\nlook at the printer; if it did not print, run again with --confirm", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reprint of %s: %s\n", args[0], r.PrintStatus)
			if a := agent.PrintAlert(r.PrintStatus); a != "" {
				return &ExitError{Code: 1, Err: errors.New(a)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&confirm, "confirm", false, "reprint a receipt the printer did not confirm: you checked that it did not come out")
	return cmd
}

// pinHashCommand is `posagent pin-hash`: it reads a PIN on stdin and prints the refunds.pin_hash line.
func pinHashCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pin-hash",
		Short: "Hash a supervisor PIN for refunds.pin_hash (reads the PIN from stdin; it is never stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f, ok := cmd.InOrStdin().(*os.File); ok {
				fmt.Fprint(cmd.ErrOrStderr(), "PIN (4 to 12 digits): ")
				defer hideInput(f)()
			}
			p, err := readPIN("-", cmd.InOrStdin())
			if err != nil {
				return err
			}
			h, err := pin.New(p)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(h)
			fmt.Fprintf(cmd.OutOrStdout(), "refunds:\n  pin_hash: %s\n", b)
			return nil
		},
	}
}
