// Command stilldemo runs `make demo`: the whole system with simulated hardware on the embedded store.
// It exits non-zero if anything does not reconcile. With -bench N it makes N online sales instead and
// reports the terminal's sale latency and peak memory (part of `make bench`).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/stillpay/stillpay/internal/demo"
)

func main() {
	bin := flag.String("bin", "bin", "directory with the built settlementd, posagent and wallet")
	keep := flag.Bool("keep", false, "after the story keep the system running (the web wallet's settlementd, posagent, simulated devices) until Ctrl-C, then keep the temporary directory (logs, receipts)")
	bench := flag.Int("bench", 0, "instead of the demo, make this many online sales and report latency and posagent's peak RSS")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	abs, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stilldemo:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "stillpay-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "stilldemo:", err)
		os.Exit(1)
	}
	if *bench > 0 {
		err = demo.Bench(ctx, abs, dir, *bench, os.Stdout)
	} else {
		err = demo.Demo(ctx, abs, dir, os.Stdout, demo.DemoOptions{Keep: *keep})
	}
	if err != nil || *keep {
		fmt.Printf("\nlogs and receipts kept in %s\n", dir)
	} else {
		os.RemoveAll(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nstilldemo: FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("\nstilldemo: OK")
}
