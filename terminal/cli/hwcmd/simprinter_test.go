package hwcmd_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/terminal/cli/hwcmd"
)

// `posagent sim printer --tcp ... --control ...` prints its address, takes
// a job, and `sim printer ctl` switches it to paper out.
func TestSimPrinterCommandWithControl(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "printer.sock")
	out := filepath.Join(dir, "receipts")

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	cmd := hwcmd.SimPrinterCommand()
	cmd.SetArgs([]string{"--tcp", "127.0.0.1:0", "--control", sock, "--out", out, "--profile", "generic-58mm"})
	cmd.SetOut(pw)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(runCtx); pw.Close() }()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, pr)
	addr := strings.TrimSpace(line)

	p, err := printer.Open(ctx, printer.Config{Transport: printer.TransportTCP, Addr: addr, Profile: "generic-58mm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := receipt.New(receipt.Title("CLI"), receipt.Pair("Tea", "2.00"))
	job, err := r.ESCPOS(p.Profile())
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.Print(ctx, job); res != printer.Printed || err != nil {
		t.Fatalf("Print = %v, %v", res, err)
	}
	txt, err := os.ReadFile(filepath.Join(out, "receipt-0001.txt"))
	if err != nil || string(txt) != r.TextFor(p.Profile()) {
		t.Fatalf("receipt-0001.txt = %q, %v", txt, err)
	}

	ctl := hwcmd.SimPrinterCommand()
	var answer bytes.Buffer
	ctl.SetOut(&answer)
	ctl.SetArgs([]string{"ctl", "--control", sock, "paper-out", "on"})
	if err := ctl.ExecuteContext(ctx); err != nil {
		t.Fatal(err)
	}
	if answer.String() != "ok paper-out on\n" {
		t.Errorf("ctl answered %q", answer.String())
	}
	if _, err := p.Print(ctx, job); !errors.Is(err, printer.ErrPaperOut) {
		t.Errorf("Print after ctl paper-out on: %v", err)
	}

	bad := hwcmd.SimPrinterCommand()
	bad.SetOut(io.Discard)
	bad.SetErr(io.Discard)
	bad.SetArgs([]string{"ctl", "--control", sock, "jam", "on"})
	if err := bad.ExecuteContext(ctx); err == nil {
		t.Error("ctl accepted an unknown setting")
	}

	stop()
	if err := <-done; err != nil {
		t.Errorf("command returned %v after cancel", err)
	}
}
