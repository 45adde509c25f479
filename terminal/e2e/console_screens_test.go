package e2e

import (
	"context"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/stillpay/stillpay/internal/demo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// ptyConsole is `posagent console` on a pseudo-terminal, as a cashier's screen is.
type ptyConsole struct {
	t      *testing.T
	tty    *os.File
	screen lockedBuffer
	mark   int // where the current state's screen starts
}

func startConsole(t *testing.T, lab *demo.Lab, env ...string) *ptyConsole {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "posagent"), "console", "--config", lab.AgentConfig)
	cmd.Env = append(os.Environ(), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	pc := &ptyConsole{t: t, tty: tty}
	go io.Copy(&pc.screen, tty)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); tty.Close() })
	return pc
}

// waitFor waits until the screen since the mark shows want, the n-th time.
func (pc *ptyConsole) waitFor(want string, n int) {
	pc.t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Count(pc.screen.String()[pc.mark:], want) >= n {
			return
		}
	}
	pc.t.Fatalf("the console never showed %q:\n%s", want, pc.screen.String()[pc.mark:])
}

func (pc *ptyConsole) typeLine(s string) { io.WriteString(pc.tty, s+"\n") }

var (
	approvalRe = regexp.MustCompile(`approval [A-Z0-9]+`)
	checkingRe = regexp.MustCompile(`(?m)^.*checking with server….*\n`)
)

// state ends a state: its screen since the mark, normalized (line ends, approval codes, the
// elapsed-time lines whose count depends on the machine), is compared with testdata/console/NAME.txt.
func (pc *ptyConsole) state(name string) {
	pc.t.Helper()
	s := pc.screen.String()
	got := strings.ReplaceAll(s[pc.mark:], "\r\n", "\n")
	pc.mark = len(s)
	got = checkingRe.ReplaceAllString(approvalRe.ReplaceAllString(got, "approval XXXXXX"), "")
	path := filepath.Join("testdata", "console", name+".txt")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			pc.t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		pc.t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		pc.t.Errorf("screen %s differs from %s:\n got:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// TestConsoleScreens drives the cashier's console on a pty through every state — idle, waiting,
// approved, declined, receipt not printed (paper out → paper in → reprint prints once, without
// COPY), refund, void, the OFFLINE banner — and pins each screen (testdata/console; -update). The
// shop's locale writes a decimal comma; NO_COLOR keeps the screens plain, and a second console
// without it shows colour.
func TestConsoleScreens(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(lab.AgentConfig, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "console:\n  locale: de-DE\n")
	f.Close()
	m0, _ := balances(t, lab)

	pc := startConsole(t, lab, "NO_COLOR=1", "TERM=xterm")
	pc.waitFor("amount> ", 1)
	pc.state("idle")

	pc.typeLine("4,20")
	pc.waitFor("scan the customer's code", 1)
	pc.state("waiting")

	if err := lab.Scanner.Send(ctx, mustCode(t, w)); err != nil {
		t.Fatal(err)
	}
	pc.waitFor("amount> ", 1)
	pc.state("approved")
	waitSlip(t, lab, "€4.20", "ONLINE APPROVAL")

	pc.typeLine("1,00")
	pc.waitFor("scan the customer's code", 1)
	if err := lab.Scanner.Send(ctx, "SP2:not-a-code"); err != nil {
		t.Fatal(err)
	}
	pc.waitFor("amount> ", 1)
	pc.state("declined")

	// Paper out: the sale is approved and the screen says its receipt did not print.
	lab.Printer.SetPaperOut(true)
	before := len(lab.Printer.Receipts())
	pc.typeLine("2,50")
	pc.waitFor("scan the customer's code", 1)
	if err := lab.Scanner.Send(ctx, mustCode(t, w)); err != nil {
		t.Fatal(err)
	}
	pc.waitFor("amount> ", 1)
	pc.state("not-printed")
	if n := len(lab.Printer.Receipts()); n != before {
		t.Fatalf("%d receipts came out with the paper out", n-before)
	}
	lab.Printer.SetPaperOut(false)
	pc.typeLine("r")
	pc.waitFor("amount> ", 1)
	pc.state("reprinted")
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := lab.Printer.WaitReceipts(wctx, before+1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a second slip, if one were sent, would be cut by now
	if rs := lab.Printer.Receipts(); len(rs) != before+1 || strings.Contains(rs[before].Text, "COPY") || !strings.Contains(rs[before].Text, "€2.50") {
		t.Fatalf("after paper in and reprint: %d receipts, want one without COPY:\n%s", len(rs)-before, rs[len(rs)-1].Text)
	}

	pc.typeLine("refund 1,00")
	pc.waitFor("amount> ", 1)
	pc.state("refund")
	waitSlip(t, lab, "REFUND", "-€1.00")

	pc.typeLine("void")
	pc.waitFor("amount> ", 1)
	pc.state("void")
	waitSlip(t, lab, "VOID", "-€1.50")
	if m, _ := balances(t, lab); m-m0 != 420 {
		t.Fatalf("merchant +%d after 4.20 and 2.50 (refunded 1.00, voided 1.50), want 420", m-m0)
	}

	// The server goes away: the next sale is approved offline and the prompt shows the banner.
	lab.StopServer()
	pc.typeLine("3,00")
	pc.waitFor("scan the customer's code", 1)
	if err := lab.Scanner.Send(ctx, mustCode(t, w)); err != nil {
		t.Fatal(err)
	}
	pc.waitFor("amount> ", 1)
	pc.state("offline")
	if out := pc.screen.String(); strings.Contains(out, "\x1b[") {
		t.Fatalf("colour with NO_COLOR set:\n%q", out)
	}
	pc.typeLine("q")

	// `posagent sale` shows a receipt that did not print with the sale; `posagent reprint ID` prints
	// it once, as the original.
	lab.Printer.SetPaperOut(true)
	before = len(lab.Printer.Receipts())
	out, err := lab.Posagent(ctx, "sale", "--amount", "1.10", "--code", mustCode(t, w))
	if err != nil || !strings.Contains(out, "APPROVED") || !strings.Contains(out, "RECEIPT NOT PRINTED — load paper, then reprint (posagent reprint ") {
		t.Fatalf("posagent sale with the paper out: %v\n%s", err, out)
	}
	id := out[strings.Index(out, "(posagent reprint ")+len("(posagent reprint "):]
	id = id[:strings.Index(id, ")")]
	lab.Printer.SetPaperOut(false)
	if out, err := lab.Posagent(ctx, "reprint", id); err != nil || !strings.Contains(out, "printed") {
		t.Fatalf("posagent reprint %s: %v\n%s", id, err, out)
	}
	if _, err := lab.Printer.WaitReceipts(wctx, before+1); err != nil {
		t.Fatal(err)
	}
	if rs := lab.Printer.Receipts(); len(rs) != before+1 || strings.Contains(rs[before].Text, "COPY") || !strings.Contains(rs[before].Text, "€1.10") {
		t.Fatalf("posagent reprint after paper in: %d receipts, want one without COPY", len(rs)-before)
	}

	colour := startConsole(t, lab, "TERM=xterm")
	colour.waitFor("amount> ", 1)
	colour.typeLine("1,00")
	colour.waitFor("— scan the customer's code (Enter", 1)
	colour.typeLine("cancel")
	colour.waitFor("CANCELLED", 1)
	colour.typeLine("1,00")
	colour.waitFor("— scan the customer's code (Enter", 2)
	if err := lab.Scanner.Send(ctx, "SP2:not-a-code"); err != nil {
		t.Fatal(err)
	}
	colour.waitFor("DECLINED", 1)
	if out := colour.screen.String(); !strings.Contains(out, "\x1b[1;97;41m") || !strings.Contains(out, "\x1b[1;97;41m*** OFFLINE") {
		t.Fatalf("no red DECLINED / OFFLINE banner on a colour terminal:\n%q", out)
	}
}
