package demo

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/stillpay/stillpay/terminal/agent"
)

// DemoOptions configures Demo.
type DemoOptions struct {
	// Keep leaves the system running after the story (settlementd with the web wallet, posagent, the
	// simulated scanner and printer) until ctx ends, so a person can open the web wallet.
	Keep bool
}

// Demo runs the story of `make demo` and returns an error if anything does not reconcile.
func Demo(ctx context.Context, bin, dir string, out io.Writer, opt DemoOptions) (err error) {
	step := func(format string, args ...any) { fmt.Fprintf(out, "\n==> "+format+"\n", args...) }
	step("starting settlementd on a temporary data dir (%s) and creating merchant %s, terminal %s, customer %s", dir, MerchantID, TerminalID, UserID)
	lab, err := NewLab(ctx, Options{Bin: bin, Dir: dir, Log: out, OpeningBalance: "500.00", PrinterOutDir: filepath.Join(dir, "receipts")})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fmt.Fprintf(out, "\n!!! %v\n", err)
		}
		lab.Close()
	}()
	fmt.Fprintf(out, "    server %s; scanner %s; printer %s (simulated, ptys)\n", lab.ServerURL, lab.Scanner.Path(), lab.Printer.Path())
	if !opt.Keep {
		fmt.Fprintf(out, "    web wallet %s/wallet/ (settlementd stops midway and at the end: stilldemo -keep keeps it up after the story)\n", lab.ServerURL)
	}
	before, err := lab.Balances(ctx)
	if err != nil {
		return err
	}
	merchantBefore, _ := MerchantBalance(before)

	step("starting posagent")
	if err := lab.StartAgent(ctx); err != nil {
		return err
	}
	step("customer's phone authorizes offline codes (cap 20.00 EUR per payment, 10 codes)")
	w, err := lab.NewWallet(ctx, "alice", "20.00", 10)
	if err != nil {
		return err
	}

	type sale struct {
		amount  string
		minor   int64
		offline bool
	}
	var approved []agent.SaleView
	doSale := func(s sale) error {
		code, err := w.Code(ctx)
		if err != nil {
			return err
		}
		v, err := lab.Sale(ctx, s.amount, code)
		if err != nil {
			return err
		}
		how := "online"
		if v.Offline {
			how = "OFFLINE"
		}
		fmt.Fprintf(out, "    sale %s %s: %s %s (approval %s, customer %s, receipt: %s)\n", v.ID, v.Amount, v.State, how, v.ApprovalCode, v.Customer, v.PrintStatus)
		if v.State != agent.SaleApproved || v.Offline != s.offline {
			return fmt.Errorf("sale of %s: want approved (offline=%v), got %s (offline=%v): %s %s", s.amount, s.offline, v.State, v.Offline, v.Code, v.Reason)
		}
		approved = append(approved, v)
		return nil
	}

	step("online sale: wallet code -> simulated scanner -> posagent -> settlementd -> receipt")
	if err := doSale(sale{"12.50", 1250, false}); err != nil {
		return err
	}
	step("stopping settlementd: the terminal is offline now")
	lab.StopServer()
	step("three offline sales, approved by the terminal against the customer's credential")
	for _, s := range []sale{{"3.20", 320, true}, {"4.50", 450, true}, {"7.80", 780, true}} {
		if err := doSale(s); err != nil {
			return err
		}
	}
	st, err := lab.API.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    queue: %d offline approvals waiting, %d minor units\n", st.QueueDepth, st.Offline.Total)
	if st.QueueDepth != 3 {
		return fmt.Errorf("want 3 queued offline approvals, have %d", st.QueueDepth)
	}

	step("restarting settlementd; the forwarder drains the queue")
	if err := lab.StartServer(ctx); err != nil {
		return err
	}
	if err := lab.WaitDrained(ctx, 60*time.Second); err != nil {
		return err
	}
	items, err := lab.API.Queue(ctx, "all")
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Kind == "offline" {
			fmt.Fprintf(out, "    %s %s: %s (%s)\n", it.TxnID, it.Amount, it.State, it.Result)
		}
	}

	step("receipts as the simulated printer rendered them")
	receipts := lab.Printer.Receipts()
	for _, r := range receipts {
		fmt.Fprintf(out, "---- receipt %d (%s) ----\n%s", r.Seq, r.PNGPath, r.Text)
	}
	if len(receipts) != len(approved) {
		return fmt.Errorf("%d receipts printed for %d approved sales", len(receipts), len(approved))
	}
	for i, r := range receipts {
		if len(r.QR) != 1 || r.QR[0] != approved[i].ID {
			return fmt.Errorf("receipt %d: QR holds %v, want %s", r.Seq, r.QR, approved[i].ID)
		}
		wantLine := "ONLINE APPROVAL"
		if approved[i].Offline {
			wantLine = "OFFLINE APPROVAL"
		}
		if !strings.Contains(r.Text, wantLine) {
			return fmt.Errorf("receipt %d lacks %q", r.Seq, wantLine)
		}
	}

	step("final balances")
	after, err := lab.Balances(ctx)
	if err != nil {
		return err
	}
	for _, b := range after {
		fmt.Fprintf(out, "    %-40s %-9s %-12s %14s\n", b.AccountID, b.Kind, b.OwnerID, b.Balance)
	}
	merchantAfter, err := MerchantBalance(after)
	if err != nil {
		return err
	}
	var want int64
	for _, v := range approved {
		want += v.Amount.Minor
	}
	if got := merchantAfter - merchantBefore; got != want {
		return fmt.Errorf("merchant received %d minor units, the register approved %d", got, want)
	}
	txns, err := lab.Transactions(ctx)
	if err != nil {
		return err
	}
	settled := map[string]int{}
	for _, t := range txns {
		if t.Status == "approved" {
			settled[t.TerminalTxnID]++
		}
	}
	for _, v := range approved {
		if settled[v.ID] != 1 {
			return fmt.Errorf("sale %s settled %d times on the server", v.ID, settled[v.ID])
		}
	}
	check, err := lab.Admin(ctx, "check")
	if err != nil {
		return fmt.Errorf("ledger check failed: %w", err)
	}
	fmt.Fprintf(out, "    %s\n", strings.TrimSpace(check))
	step("reconciled: %d sales approved at the register, each settled exactly once; merchant +%d.%02d EUR", len(approved), want/100, want%100)
	if err := demoOrder(ctx, lab, w, out, step); err != nil {
		return err
	}
	if err := demoOffers(ctx, lab, w, out, step); err != nil {
		return err
	}
	if opt.Keep {
		keepRunning(ctx, lab, out, step)
	}
	return nil
}

// KeepReadyLine is the line Demo prints, with DemoOptions.Keep, once the system is up for people.
const KeepReadyLine = "ready (Ctrl-C stops everything)"

// keepRunning prints where the running system answers and waits until ctx ends (Ctrl-C).
func keepRunning(ctx context.Context, lab *Lab, out io.Writer, step func(string, ...any)) {
	step("the system keeps running until Ctrl-C")
	fmt.Fprintf(out, "    web wallet %s/wallet/ (user %s, password in %s)\n", lab.ServerURL, UserID, filepath.Join(lab.Dir, "alice.password"))
	fmt.Fprintf(out, "    posagent local API http://%s; scanner %s; printer %s\n", lab.AgentAPIAddr(), lab.Scanner.Path(), lab.Printer.Path())
	fmt.Fprintf(out, "    %s\n", KeepReadyLine)
	<-ctx.Done()
	fmt.Fprintln(out, "    stopping")
}
