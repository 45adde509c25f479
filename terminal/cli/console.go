package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

func consoleCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "console",
		Short: "Interactive cashier screen: type an amount, scan, see the outcome, reprint",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			return runConsole(cmd.Context(), c, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

const consoleHelp = `Type an amount (e.g. 12.50) and press Enter, then scan the customer's code.
While waiting: press Enter to cancel, or paste a code and press Enter.
Orders: "o 12.50" prints a QR code the customer pays with the stillpay app on the phone
(needed above the customer's per-payment cap); "o" alone takes the last declined amount.
Commands: r = reprint the last receipt, l = last sales, s = status, q = quit.`

// runConsole is the cashier's loop; it reads lines from in and writes the screen to out.
func runConsole(ctx context.Context, c *localapi.Client, in io.Reader, out io.Writer) error {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), 64<<10)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stillpay — %s (terminal %s)\n%s\n", st.MerchantName, st.TerminalID, consoleHelp)
	lastApproved, lastOrder := "", ""
	// overCap is the amount of the last sale declined for needing the customer's confirmation.
	overCap := ""
	for {
		fmt.Fprint(out, "\namount> ")
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-ctx.Done():
			return nil
		}
		if !ok || line == "q" {
			fmt.Fprintln(out)
			return nil
		}
		switch line {
		case "":
			continue
		case "?", "h", "help":
			fmt.Fprintln(out, consoleHelp)
			continue
		case "r":
			if lastOrder != "" {
				r, err := c.ReprintOrder(ctx, lastOrder)
				if err != nil {
					fmt.Fprintln(out, "reprint failed:", err)
					continue
				}
				fmt.Fprintf(out, "reprint of order %s: %s\n", lastOrder, r.PrintStatus)
				continue
			}
			if lastApproved == "" {
				fmt.Fprintln(out, "no approved sale to reprint yet")
				continue
			}
			r, err := c.Reprint(ctx, lastApproved, false)
			if errors.Is(err, &protocol.Problem{Code: localapi.CodeReprintUnconfirmed}) {
				// It was sent and has most likely printed: the cashier looks before a second copy.
				fmt.Fprintf(out, "the receipt of %s was sent but the printer could not confirm it; look at the printer.\nDid it NOT print? Reprint anyway [y/N]: ", lastApproved)
				var answer string
				select {
				case answer = <-lines:
				case <-ctx.Done():
					return nil
				}
				if !strings.EqualFold(answer, "y") && !strings.EqualFold(answer, "yes") {
					fmt.Fprintln(out, "not reprinted")
					continue
				}
				r, err = c.Reprint(ctx, lastApproved, true)
			}
			if err != nil {
				fmt.Fprintln(out, "reprint failed:", err)
				continue
			}
			fmt.Fprintf(out, "reprint of %s: %s\n", lastApproved, r.PrintStatus)
			continue
		case "l":
			vs, err := c.Recent(ctx, 10)
			if err != nil {
				fmt.Fprintln(out, "error:", err)
				continue
			}
			for _, v := range vs {
				fmt.Fprintf(out, "  %s  %-10s %12s  %s %s\n", v.UpdatedAt.Local().Format("15:04:05"), v.State, v.Amount, v.ID, v.Reason)
			}
			continue
		case "s":
			st, err := c.Status(ctx)
			if err != nil {
				fmt.Fprintln(out, "error:", err)
				continue
			}
			fmt.Fprintf(out, "queue: %d waiting; printer: %s; scanner: %s\n", st.QueueDepth, st.Printer, st.Scanner)
			continue
		}
		if amount, reference, ok := orderLine(line, overCap); ok {
			if amount == "" {
				fmt.Fprintln(out, `type "o 12.50" (amount, then an optional reference)`)
				continue
			}
			v, err := consoleOrder(ctx, c, amount, reference, lines, out)
			if err != nil {
				fmt.Fprintln(out, "order:", err)
				continue
			}
			lastOrder, lastApproved, overCap = v.ID, "", ""
			continue
		}
		v, err := c.StartSale(ctx, localapi.StartSaleRequest{Amount: line})
		if err != nil {
			fmt.Fprintln(out, "cannot start the sale:", err)
			continue
		}
		fmt.Fprintf(out, "%s — scan the customer's code (Enter cancels)\n", v.Amount)
		v, err = followSale(ctx, c, v, lines, out)
		if err != nil {
			fmt.Fprintln(out, "error:", err)
			continue
		}
		printOutcome(out, v)
		if v.State == agent.SaleApproved {
			lastApproved, lastOrder = v.ID, ""
		}
		overCap = ""
		if v.Suggest == agent.SuggestOrder {
			overCap = line
			fmt.Fprintf(out, "-> the customer must confirm %s on the phone: type o and Enter to print it as an order\n", v.Amount)
		}
	}
}

// followSale waits for the sale's outcome while the cashier may cancel it or paste a code. A line typed
// after the sale already has its code (scanned, or pasted before) does not end the wait: the sale is
// being decided, and the cashier must see how it ends.
func followSale(ctx context.Context, c *localapi.Client, v agent.SaleView, lines <-chan string, out io.Writer) (agent.SaleView, error) {
	type result struct {
		v   agent.SaleView
		err error
	}
	done := make(chan result, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	checking := newCheckingLine(out)
	defer checking.stop()
	go func() {
		v, err := c.WaitFinal(wctx, v, checking.onChange)
		checking.stop()
		done <- result{v, err}
	}()
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case line, ok := <-lines:
			if !ok || line == "" {
				if !ok {
					lines = nil // end of input: cancel once, then wait
				}
				c.Cancel(bg(), v.ID)
				continue // the cancellation arrives through WaitFinal
			}
			if err := c.SubmitCode(bg(), v.ID, line); err != nil {
				fmt.Fprintln(out, "not taken, the sale is being decided:", err)
			}
			// The sale has its code: what the cashier types next is for the next prompt.
			lines = nil
		}
	}
}
