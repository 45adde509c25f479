package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// orderLine recognises the console's order command: "o 12.50 [reference]" or "order 12.50
// [reference]"; a bare "o" takes lastDeclined, the amount of the last sale that needed the
// customer's confirmation. ok is false for any other line; amount is "" when none was given.
func orderLine(line, lastDeclined string) (amount, reference string, ok bool) {
	f := strings.Fields(line)
	if len(f) == 0 || (f[0] != "o" && f[0] != "order") {
		return "", "", false
	}
	switch len(f) {
	case 1:
		return lastDeclined, "", true
	case 2:
		return f[1], "", true
	}
	return f[1], strings.Join(f[2:], " "), true
}

// consoleOrder creates an order, shows its progress and waits for its outcome; Enter (an empty
// line) or Ctrl-C asks for it to be cancelled, at the server too.
func consoleOrder(ctx context.Context, c *localapi.Client, amount, reference string, lines <-chan string, sigs <-chan os.Signal, out io.Writer) (agent.OrderView, error) {
	v, err := c.StartOrder(ctx, localapi.StartOrderRequest{Amount: amount, Reference: reference})
	if err != nil {
		return v, err
	}
	fmt.Fprintf(out, "order %s: %s — printing its QR code (Enter cancels)\n", v.ID, v.Amount)
	type result struct {
		v   agent.OrderView
		err error
	}
	done := make(chan result, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		v, err := c.WaitOrderDone(wctx, v, func(v agent.OrderView) {
			if !v.Final {
				printOrderProgress(out, v)
			}
		})
		done <- result{v, err}
	}()
	for {
		select {
		case r := <-done:
			if r.err == nil {
				printOrderOutcome(out, r.v)
			}
			return r.v, r.err
		case <-sigs:
			if _, err := c.CancelOrder(bg(), v.ID); err != nil {
				fmt.Fprintln(out, "cancel:", err)
			}
		case line, ok := <-lines:
			if !ok {
				lines = nil
			}
			if line != "" {
				fmt.Fprintln(out, "the order is waiting for the customer's phone; press Enter to cancel it")
				continue
			}
			if _, err := c.CancelOrder(bg(), v.ID); err != nil {
				fmt.Fprintln(out, "cancel:", err)
			}
		}
	}
}
