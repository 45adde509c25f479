// Command wallet is the customer's phone as a command-line program, for development and tests: it
// logs in, gets an offline authorization, shows one-time payment codes as QR codes, and pays
// merchant-presented orders (`wallet pay`). The logic is in shared/wallet; this command only wires it
// to flags and the terminal. `wallet pay --image` decodes camera images with hardware/imaging, the
// gozxing decoder posagent's camera uses: shared/ may not depend on image code (a real phone app
// decodes with its own camera stack and hands shared/wallet the text), while a command is wiring and
// may use any package of the repository except the server's.
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
