package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// codesPerCredential is how many codes the bench asks for at a time (the server's maximum).
const codesPerCredential = 1000

// Bench makes sales online sales on loopback through the simulated scanner and printer and reports
// the sale latency from the last scanner byte written to the receipt cut on the simulated printer
// (median and p99), and posagent's peak resident memory (VmHWM) over the run.
func Bench(ctx context.Context, bin, dir string, sales int, out io.Writer) error {
	lab, err := NewLab(ctx, Options{Bin: bin, Dir: dir, OpeningBalance: fmt.Sprintf("%d.00", sales/100+100), KeepReceipts: 4})
	if err != nil {
		return err
	}
	defer lab.Close()
	if err := lab.StartAgent(ctx); err != nil {
		return err
	}
	w, err := lab.NewWallet(ctx, "bench", "0.01", codesPerCredential)
	if err != nil {
		return err
	}
	lat := make([]time.Duration, 0, sales)
	started := time.Now()
	for i := 0; i < sales; i++ {
		if i > 0 && i%codesPerCredential == 0 {
			if err := w.Reauthorize(ctx, "0.01", codesPerCredential); err != nil {
				return err
			}
		}
		code, err := w.NextCode()
		if err != nil {
			return err
		}
		v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "0.01"})
		if err != nil {
			return err
		}
		if err := lab.Scanner.Send(ctx, code); err != nil {
			return err
		}
		lastByte := time.Now()
		if _, err := lab.Printer.WaitReceipts(ctx, i+1); err != nil {
			return err
		}
		lat = append(lat, time.Since(lastByte))
		final, err := lab.API.WaitFinal(ctx, v, nil)
		if err != nil {
			return err
		}
		if final.State != agent.SaleApproved || final.Offline {
			return fmt.Errorf("sale %d: %s %s %s", i, final.State, final.Code, final.Reason)
		}
		if (i+1)%1000 == 0 {
			fmt.Fprintf(out, "  %d sales...\n", i+1)
		}
	}
	elapsed := time.Since(started)
	hwm, err := peakRSS(lab.AgentPID())
	if err != nil {
		return err
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Fprintf(out, "online sales:            %d in %s (%.0f sales/s, one lane, sequential)\n", sales, elapsed.Round(time.Millisecond), float64(sales)/elapsed.Seconds())
	fmt.Fprintf(out, "sale latency (last scanner byte -> receipt cut): median %s, p99 %s, max %s (goal p99 <= 50ms)\n",
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	fmt.Fprintf(out, "posagent peak RSS (VmHWM): %.1f MB over %d sales (goal <= 30 MB)\n", float64(hwm)/(1<<20), sales)
	return nil
}

// peakRSS reads VmHWM of pid from /proc, in bytes.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
