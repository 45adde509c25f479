// Command wallet is the customer's phone as a command-line program, for development and tests: it
// logs in, gets an offline authorization, and shows one-time payment codes as QR codes. The logic is
// in shared/wallet; this command only wires it to flags and the terminal.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
