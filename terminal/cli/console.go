package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/localapi"
)

func consoleCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "console",
		Short: "Interactive cashier screen: type an amount, scan, see the outcome, reprint, void, refund",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			c, err := localapi.ClientFor(cfg.LocalAPI)
			if err != nil {
				return err
			}
			sep, err := config.DecimalSeparator(cfg.Console.Locale)
			if err != nil {
				return err
			}
			sc := &screen{out: cmd.OutOrStdout(), sep: sep, reprint: " (type r)"}
			if f, ok := cmd.OutOrStdout().(*os.File); ok {
				sc.color = wantColor(f)
			}
			// Ctrl-C cancels the sale being waited for; at the prompt it quits. The console takes
			// every signal from root's handler, so the command's context (ended by the first
			// SIGINT) is not used.
			return runConsole(context.WithoutCancel(cmd.Context()), c, cmd.InOrStdin(), sc, signalsOf(cmd.Context()))
		},
	}
}

const consoleHelp = `Type an amount (e.g. 12.50) and press Enter, then scan the customer's code.
While waiting: Enter, "cancel" or Ctrl-C cancels; or paste a code and press Enter.
Orders: "o 12.50" prints a QR code the customer pays with the stillpay app on the phone
(needed above the customer's per-payment cap); "o" alone takes the last declined amount.
Returns: "void [ID]" voids a sale (default: the last one); "refund AMOUNT [ID]" refunds part of it,
"refund all [ID]" all that is left. ID may be a sale of another terminal of this shop (on its receipt).
Commands: r [ID] = reprint (default: the last receipt), l = last sales, s = status, q = quit.`

// console is the cashier's loop: lines typed, the screen, and what the last commands left.
type console struct {
	c     *localapi.Client
	scr   *screen
	out   io.Writer
	lines <-chan string
	sigs  <-chan os.Signal
	// last is the last receipt printed (sale, void or refund), lastSale the last approved sale,
	// lastOrder the last order, overCap the amount of the last sale that needed the customer's
	// confirmation on the phone.
	last, lastSale, lastOrder, overCap string
}

// runConsole is the cashier's loop; it reads lines from in and writes the screen.
func runConsole(ctx context.Context, c *localapi.Client, in io.Reader, scr *screen, sigs <-chan os.Signal) error {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), 64<<10)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	k := &console{c: c, scr: scr, out: scr.out, lines: lines, sigs: sigs}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(k.out, "stillpay — %s (terminal %s)\n%s\n", st.MerchantName, st.TerminalID, consoleHelp)
	// A sale left waiting (the console was closed or restarted) is followed again: Enter cancels it.
	if st.CurrentSale != "" {
		if v, err := c.Sale(ctx, st.CurrentSale, 0, ""); err == nil && !v.Final {
			fmt.Fprintf(k.out, "sale %s (%s) is still open — Enter, \"cancel\" or Ctrl-C cancels it\n", v.ID, scr.amount(v.Amount))
			k.follow(ctx, v)
		}
	}
	for {
		if st, err := c.Status(ctx); err == nil {
			fmt.Fprintln(k.out)
			scr.statusLine(st)
		}
		fmt.Fprint(k.out, "amount> ")
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-sigs:
			ok = false
		}
		if !ok || line == "q" {
			fmt.Fprintln(k.out)
			return nil
		}
		k.command(ctx, line)
	}
}

// command runs one line typed at the prompt.
func (k *console) command(ctx context.Context, line string) {
	f := strings.Fields(line)
	switch {
	case line == "":
	case line == "?" || line == "h" || line == "help":
		fmt.Fprintln(k.out, consoleHelp)
	case f[0] == "r" || f[0] == "reprint":
		k.reprint(ctx, f[1:])
	case line == "l":
		vs, err := k.c.Recent(ctx, 10)
		if err != nil {
			fmt.Fprintln(k.out, "error:", err)
			return
		}
		for _, v := range vs {
			extra := v.Reason
			if v.VoidID != "" {
				extra = "voided by " + v.VoidID
			} else if v.Refunded > 0 {
				extra = fmt.Sprintf("refunded %s", k.scr.amount(moneyOf(v.Refunded, v.Amount.Currency)))
			}
			fmt.Fprintf(k.out, "  %s  %-10s %14s  %s %s\n", v.UpdatedAt.Local().Format("15:04:05"), v.State, k.scr.amount(v.Amount), v.ID, extra)
		}
	case line == "s":
		st, err := k.c.Status(ctx)
		if err != nil {
			fmt.Fprintln(k.out, "error:", err)
			return
		}
		fmt.Fprintf(k.out, "queue: %d waiting; printer: %s; scanner: %s\n", st.QueueDepth, st.Printer, st.Scanner)
	case f[0] == "void" || f[0] == "v":
		k.void(ctx, f[1:])
	case f[0] == "refund" || f[0] == "rf":
		k.refund(ctx, f[1:])
	default:
		if amount, reference, ok := orderLine(line, k.overCap); ok {
			k.order(ctx, amount, reference)
			return
		}
		k.sale(ctx, line)
	}
}

func (k *console) sale(ctx context.Context, line string) {
	v, err := k.c.StartSale(ctx, localapi.StartSaleRequest{Amount: k.scr.typedAmount(line)})
	if err != nil {
		fmt.Fprintln(k.out, "cannot start the sale:", err)
		return
	}
	fmt.Fprintf(k.out, "%s — scan the customer's code (Enter, \"cancel\" or Ctrl-C cancels)\n", k.scr.amount(v.Amount))
	v = k.follow(ctx, v)
	k.overCap = ""
	if v.Suggest == agent.SuggestOrder {
		k.overCap = k.scr.typedAmount(line)
		fmt.Fprintf(k.out, "-> the customer must confirm %s on the phone (code %s): type o and Enter to print it as an order\n", k.scr.amount(v.Amount), v.Code)
	}
}

// follow waits for a sale's outcome and shows it (then its receipt's fate).
func (k *console) follow(ctx context.Context, v agent.SaleView) agent.SaleView {
	v, err := followSale(ctx, k.c, v, k.lines, k.sigs, k.out)
	if err != nil {
		fmt.Fprintln(k.out, "error:", err)
		return v
	}
	if v.State == agent.SaleApproved {
		v = waitPrinted(ctx, k.c, v)
		k.last, k.lastSale, k.lastOrder = v.ID, v.ID, ""
	}
	k.scr.saleOutcome(v)
	return v
}

func (k *console) order(ctx context.Context, amount, reference string) {
	if amount == "" {
		fmt.Fprintln(k.out, `type "o 12.50" (amount, then an optional reference)`)
		return
	}
	v, err := consoleOrder(ctx, k.c, k.scr.typedAmount(amount), reference, k.lines, k.sigs, k.out)
	if err != nil {
		fmt.Fprintln(k.out, "order:", err)
		return
	}
	k.lastOrder, k.last, k.overCap = v.ID, "", ""
}

func (k *console) reprint(ctx context.Context, args []string) {
	id := k.last
	if len(args) > 0 {
		id = args[0]
	} else if k.lastOrder != "" {
		r, err := k.c.ReprintOrder(ctx, k.lastOrder)
		if err != nil {
			fmt.Fprintln(k.out, "reprint failed:", err)
			return
		}
		fmt.Fprintf(k.out, "reprint of order %s: %s\n", k.lastOrder, r.PrintStatus)
		return
	}
	if id == "" {
		fmt.Fprintln(k.out, "no receipt to reprint yet (type r ID to reprint any sale)")
		return
	}
	r, err := k.c.Reprint(ctx, id, false)
	if errors.Is(err, &protocol.Problem{Code: localapi.CodeReprintUnconfirmed}) {
		// It was sent and has most likely printed: the cashier looks before a second copy.
		fmt.Fprintf(k.out, "the receipt of %s was sent but the printer could not confirm it; look at the printer.\nDid it NOT print? Reprint anyway [y/N]: ", id)
		answer := <-k.lines
		if !strings.EqualFold(answer, "y") && !strings.EqualFold(answer, "yes") {
			fmt.Fprintln(k.out, "not reprinted")
			return
		}
		r, err = k.c.Reprint(ctx, id, true)
	}
	if err != nil {
		fmt.Fprintln(k.out, "reprint failed:", err)
		return
	}
	fmt.Fprintf(k.out, "reprint of %s: %s\n", id, r.PrintStatus)
	k.scr.printAlert(agent.PrintAlert(r.PrintStatus))
}

// waitPrinted waits (a bounded while) for the receipt of an approved sale to print or fail, so the
// cashier sees a receipt that did not come out together with the sale.
func waitPrinted(ctx context.Context, c *localapi.Client, v agent.SaleView) agent.SaleView {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for v.PrintStatus == "" && ctx.Err() == nil {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
		if nv, err := c.Sale(ctx, v.ID, 0, ""); err == nil {
			v = nv
		}
	}
	return v
}

// followSale waits for the sale's outcome while the cashier may cancel it (Enter, "cancel", Ctrl-C)
// or paste a code. A line typed after the sale already has its code (scanned, or pasted before) does
// not end the wait: the sale is being decided, and the cashier must see how it ends.
func followSale(ctx context.Context, c *localapi.Client, v agent.SaleView, lines <-chan string, sigs <-chan os.Signal, out io.Writer) (agent.SaleView, error) {
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
	cancelSale := func() {
		if _, err := c.Cancel(bg(), v.ID); err != nil {
			fmt.Fprintln(out, "not cancelled, the code was scanned and the sale is being decided (void it afterwards if needed):", err)
		}
	}
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case <-sigs:
			cancelSale()
		case line, ok := <-lines:
			if !ok || line == "" || line == "cancel" {
				if !ok {
					lines = nil // end of input: cancel once, then wait
				}
				cancelSale()
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
