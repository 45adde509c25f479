package crosstest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/bundle"
)

// requireQemuEnv makes missing emulators a failure instead of a skip (set by .ci/run).
const requireQemuEnv = "STILLPAY_REQUIRE_QEMU"

// emulators finds qemu-user for every emulated target, or skips the test with one line (fails under
// STILLPAY_REQUIRE_QEMU=1).
func emulators(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	var missing []string
	for _, tg := range targets {
		if tg.qemu == "" {
			continue
		}
		path, err := exec.LookPath(tg.qemu)
		if err != nil {
			missing = append(missing, tg.qemu)
			continue
		}
		found[tg.name] = path
	}
	if len(missing) > 0 {
		msg := "emulated armv7/arm64 runs need " + strings.Join(missing, " and ") + " (apt-get install qemu-user-static)"
		if os.Getenv(requireQemuEnv) == "1" {
			t.Fatalf("%s, and %s=1 requires them", msg, requireQemuEnv)
		}
		t.Skip("SKIPPED: " + msg)
	}
	return found
}

// emulatedBin lays out a lab bin directory whose posagent runs the cross-built binary under qemu and
// whose settlementd and wallet are native.
func emulatedBin(t *testing.T, tg target, qemu string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	os.MkdirAll(dir, 0o755)
	settlementd, wallet := nativeTools(t)
	for name, path := range map[string]string{"settlementd": settlementd, "wallet": wallet} {
		if err := os.Symlink(path, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	wrapper := "#!/bin/sh\nexec " + qemu + " " + posagentFor(t, tg) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "posagent"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEmulatedARM runs the armv7 and arm64 agents under qemu-user: version, doctor against the
// simulators, and one online sale against a live settlementd.
func TestEmulatedARM(t *testing.T) {
	qemus := emulators(t)
	for _, tg := range targets {
		if tg.qemu == "" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			bin := emulatedBin(t, tg, qemus[tg.name])
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()

			out := mustRun(t, filepath.Join(bin, "posagent"), "version")
			if !strings.Contains(out, "posagent "+buildVersion+" (commit crosstest)") {
				t.Fatalf("posagent version under %s: %q", tg.qemu, out)
			}
			// Prove it really is an ARM binary that answered.
			if info, err := bundle.Inspect(posagentFor(t, tg)); err != nil || info.Machine.String() != tg.elfMachine {
				t.Fatalf("not an ARM binary: %+v %v", info, err)
			}

			lab, err := demo.NewLab(ctx, demo.Options{Bin: bin, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "100.00"})
			if err != nil {
				t.Fatal(err)
			}
			defer lab.Close()

			out, err = lab.Posagent(ctx, "doctor")
			if err != nil {
				t.Fatalf("doctor under %s: %v\n%s", tg.qemu, err, out)
			}
			for _, line := range []string{"OK    enrolled", "OK    scanner", "OK    printer", "all checks passed"} {
				if !strings.Contains(out, line) {
					t.Fatalf("doctor output lacks %q:\n%s", line, out)
				}
			}

			if err := lab.StartAgent(ctx); err != nil {
				t.Fatal(err)
			}
			w, err := lab.NewWallet(ctx, "phone", "20.00", 2)
			if err != nil {
				t.Fatal(err)
			}
			code, err := w.Code(ctx)
			if err != nil {
				t.Fatal(err)
			}
			v, err := lab.Sale(ctx, "4.20", code)
			if err != nil {
				t.Fatal(err)
			}
			if v.State != agent.SaleApproved || v.Offline || v.PrintStatus != agent.PrintPrinted {
				t.Fatalf("sale under %s: %+v", tg.qemu, v)
			}
			receipts := lab.Printer.Receipts()
			if len(receipts) == 0 || !strings.Contains(receipts[len(receipts)-1].Text, "4.20") {
				t.Fatalf("no receipt for the sale: %d receipts", len(receipts))
			}
			if last := receipts[len(receipts)-1]; len(last.QR) != 1 || last.QR[0] != v.ID {
				t.Fatalf("receipt QR %q, want the transaction id %s", last.QR, v.ID)
			}
			// With the agent running, the doctor reads the devices and the queue from it.
			out, err = lab.Posagent(ctx, "doctor")
			if err != nil || !strings.Contains(out, "OK    agent     running") || !strings.Contains(out, "OK    printer   the running agent reports the printer ready") {
				t.Fatalf("doctor with the agent running under %s: %v\n%s", tg.qemu, err, out)
			}
			txns, err := lab.Transactions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			settled := 0
			for _, x := range txns {
				if x.TerminalTxnID == v.ID {
					settled++
				}
			}
			if settled != 1 {
				t.Fatalf("the server holds %d transactions for %s, want 1", settled, v.ID)
			}
		})
	}
}
