package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/queue"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestHealthyLane(t *testing.T) {
	l := newLane(t, laneOptions{})
	r := l.run(t, nil)
	if !r.OK {
		var b strings.Builder
		r.WriteText(&b)
		t.Fatalf("a healthy lane failed:\n%s", b.String())
	}
	expect(t, r, StatusOK, "config", "is valid")
	expect(t, r, StatusOK, "identity", "terminal T-0042 of Corner Cafe")
	expect(t, r, StatusOK, "agent", "not running")
	expect(t, r, StatusOK, "server", "is reachable")
	expect(t, r, StatusOK, "enrolled", "accepts terminal T-0042")
	expect(t, r, StatusOK, "clock", "within")
	expect(t, r, StatusOK, "scanner", "opens as a serial device")
	expect(t, r, StatusOK, "printer", "is online")
	expect(t, r, StatusOK, "queue", "no queue file yet")
	expect(t, r, StatusOK, "disk", "10240 MiB free")
	if len(r.Checks) != len(Names()) {
		t.Fatalf("%d checks, want %d", len(r.Checks), len(Names()))
	}
}

// problemCases: one thing wrong on an otherwise healthy lane, and the line that must say so.
var problemCases = []struct {
	name   string
	lane   laneOptions
	before func(t *testing.T, l *lane)
	edit   func(o *Options)
	check  string
	status Status
	want   string // in the detail or the fix
}{
	{name: "printer out of paper", before: func(_ *testing.T, l *lane) { l.printer.SetPaperOut(true) },
		check: "printer", status: StatusFail, want: "load a paper roll"},
	{name: "printer cover open", before: func(_ *testing.T, l *lane) { l.printer.SetCoverOpen(true) },
		check: "printer", status: StatusFail, want: "close the printer cover"},
	{name: "printer paper near end", before: func(_ *testing.T, l *lane) { l.printer.SetPaperNearEnd(true) },
		check: "printer", status: StatusWarn, want: "change the paper roll soon"},
	{name: "server down", lane: laneOptions{serverURL: "http://127.0.0.1:1"},
		check: "server", status: StatusFail, want: "unreachable"},
	{name: "terminal revoked", before: func(_ *testing.T, l *lane) { l.server.revoked[l.terminalID] = true },
		check: "enrolled", status: StatusFail, want: "posagent provision --force"},
	{name: "terminal unknown to the server", before: func(_ *testing.T, l *lane) { delete(l.server.terminals, l.terminalID) },
		check: "enrolled", status: StatusFail, want: "terminal_unknown"},
	{name: "not enrolled", lane: laneOptions{noIdentity: true},
		check: "identity", status: StatusFail, want: "posagent provision --server URL --enroll-code CODE"},
	{name: "key readable by others", before: func(t *testing.T, l *lane) { os.Chmod(filepath.Join(l.dir, "terminal.key"), 0o644) },
		check: "identity", status: StatusFail, want: "chmod 600"},
	{name: "clock far off", before: func(_ *testing.T, l *lane) { l.server.offset = 40 * time.Second },
		check: "clock", status: StatusFail, want: "timedatectl set-ntp true"},
	{name: "clock a little off", before: func(_ *testing.T, l *lane) { l.server.offset = -10 * time.Second },
		check: "clock", status: StatusWarn, want: "ahead of the server"},
	{name: "scanner port is not a serial device", lane: laneOptions{scannerAt: "/dev/null"},
		check: "scanner", status: StatusFail, want: "USB-CDC"},
	{name: "scanner unplugged", lane: laneOptions{scannerAt: "/dev/stillpay-test-no-such-scanner"},
		check: "scanner", status: StatusFail, want: "posagent ports"},
	{name: "config typo", lane: laneOptions{extra: "prnter:\n  port: /dev/ttyUSB0\n"},
		check: "config", status: StatusFail, want: `unknown key "prnter"`},
	{name: "config value wrong", lane: laneOptions{extra: "sale:\n  currency: XBT\n"},
		check: "config", status: StatusFail, want: "sale.currency"},
	{name: "disk nearly full", edit: func(o *Options) { o.Disk = func(string) (uint64, uint64, error) { return 10 << 20, 1 << 30, nil } },
		check: "disk", status: StatusFail, want: "only 10 MiB free"},
	{name: "disk getting full", edit: func(o *Options) { o.Disk = func(string) (uint64, uint64, error) { return 100 << 20, 1 << 30, nil } },
		check: "disk", status: StatusWarn, want: "100 MiB free"},
	{name: "corrupt queue file", before: func(t *testing.T, l *lane) {
		os.WriteFile(filepath.Join(l.dir, "queue.db"), bytes.Repeat([]byte("not a bbolt file "), 512), 0o600)
	}, check: "queue", status: StatusFail, want: ".corrupt"},
	{name: "stale queue", before: func(t *testing.T, l *lane) { queueItem(t, l, time.Now().Add(-30*time.Hour)) },
		check: "queue", status: StatusWarn, want: "1 item(s) waiting, the oldest for 30h"},
}

func TestProblemsAreReportedWithAFix(t *testing.T) {
	for _, tc := range problemCases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, tc.lane)
			if tc.before != nil {
				tc.before(t, l)
			}
			r := l.run(t, tc.edit)
			expect(t, r, tc.status, tc.check, tc.want)
			if (tc.status == StatusFail) == r.OK {
				t.Fatalf("report OK=%v with a %s check", r.OK, tc.status)
			}
		})
	}
}

func TestDependentChecksAreSkippedNotPassed(t *testing.T) {
	l := newLane(t, laneOptions{serverURL: "http://127.0.0.1:1"})
	r := l.run(t, nil)
	expect(t, r, StatusSkip, "enrolled", "needs the server")
	expect(t, r, StatusSkip, "clock", "needs the server")
	expect(t, r, StatusOK, "printer", "online") // the rest still runs

	r = Run(context.Background(), Options{ConfigPath: filepath.Join(t.TempDir(), "missing.yaml"), Disk: plenty})
	expect(t, r, StatusFail, "config", "install posagent")
	for _, name := range Names()[1:] {
		expect(t, r, StatusSkip, name, "needs")
	}
}

// queueItem commits one queued offline sale created at created.
func queueItem(t *testing.T, l *lane, created time.Time) {
	t.Helper()
	store, err := queue.OpenBolt(filepath.Join(l.dir, "queue.db"), l.terminalID)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Update(context.Background(), func(tx queue.Tx) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		return tx.Put(queue.Record{Seq: seq, TxnID: queue.TxnID(l.terminalID, seq), Kind: "offline", State: queue.StateQueued,
			Amount: money.Amount{Minor: 1250, Currency: "EUR"}, CreatedAt: created, UpdatedAt: created})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestQueueDepthAndOldest(t *testing.T) {
	l := newLane(t, laneOptions{})
	queueItem(t, l, time.Now().Add(-2*time.Hour))
	queueItem(t, l, time.Now().Add(-time.Hour))
	r := l.run(t, nil)
	expect(t, r, StatusOK, "queue", "passes the bbolt consistency check; 2 item(s) waiting to be forwarded, the oldest for 2h")
}

func TestScanWaitsForATestScan(t *testing.T) {
	l := newLane(t, laneOptions{})
	go func() {
		// Send until the doctor's scanner has the port open; earlier frames go nowhere.
		for i := 0; i < 200; i++ {
			l.scanner.Send(context.Background(), "TEST-SCAN-123")
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var prompt bytes.Buffer
	r := l.run(t, func(o *Options) { o.Scan = true; o.Prompt = &prompt })
	expect(t, r, StatusOK, "scanner", "test scan read from")
	expect(t, r, StatusOK, "scanner", "13 characters")
	if !strings.Contains(prompt.String(), "scan any barcode") {
		t.Fatalf("no prompt: %q", prompt.String())
	}
	if strings.Contains(byName(r)["scanner"].Detail, "TEST-SCAN-123") {
		t.Fatal("the scanned content was printed; it may be a payment code")
	}
}

func TestScanTimesOutWithAFix(t *testing.T) {
	l := newLane(t, laneOptions{})
	r := l.run(t, func(o *Options) { o.Scan = true; o.ScanTimeout = 300 * time.Millisecond })
	expect(t, r, StatusFail, "scanner", "no scan arrived")
}

func TestPrintTestPage(t *testing.T) {
	l := newLane(t, laneOptions{})
	r := l.run(t, func(o *Options) { o.Print = true })
	expect(t, r, StatusOK, "printer", "test page with a QR code printed")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	receipts, err := l.printer.WaitReceipts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	page := receipts[0]
	if !strings.Contains(page.Text, "stillpay test page") || !strings.Contains(page.Text, "T-0042") {
		t.Fatalf("test page text:\n%s", page.Text)
	}
	if len(page.QR) != 1 || !strings.HasPrefix(page.QR[0], "stillpay-test-page T-0042 ") {
		t.Fatalf("test page QR: %q", page.QR)
	}
}

func TestPrintRefusedWhenOutOfPaper(t *testing.T) {
	l := newLane(t, laneOptions{})
	l.printer.SetPaperOut(true)
	r := l.run(t, func(o *Options) { o.Print = true })
	expect(t, r, StatusFail, "printer", "load a paper roll")
	if n := len(l.printer.Receipts()); n != 0 {
		t.Fatalf("%d receipts printed into paper out", n)
	}
}

// fakeAgent answers the local API's status request as a running agent would.
func fakeAgent(t *testing.T, l *lane, st localapi.Status) {
	t.Helper()
	data, _ := os.ReadFile(l.config)
	addr := regexp.MustCompile(`listen: (\S+)`).FindSubmatch(data)[1]
	ln, err := net.Listen("tcp", string(addr))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+localapi.PathStatus, func(w http.ResponseWriter, _ *http.Request) { json.NewEncoder(w).Encode(st) })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func TestRunningAgentIsAskedInsteadOfOpeningDevices(t *testing.T) {
	l := newLane(t, laneOptions{})
	fakeAgent(t, l, localapi.Status{TerminalID: l.terminalID, Version: "v9", Started: time.Now(), QueueDepth: 3,
		OldestQueued: time.Now().Add(-5 * time.Minute), Printer: "printer out of paper (printer status: offline: paper out)", Scanner: "connected"})
	r := l.run(t, nil)
	expect(t, r, StatusOK, "agent", "running: version v9")
	expect(t, r, StatusOK, "scanner", "running agent is connected")
	expect(t, r, StatusFail, "printer", "load a paper roll")
	expect(t, r, StatusOK, "queue", "3 item(s) waiting")
	r = l.run(t, func(o *Options) { o.Scan = true; o.Print = true })
	expect(t, r, StatusWarn, "scanner", "stop the agent for a test scan")
	expect(t, r, StatusWarn, "printer", "stop the agent to print a test page")
}

// TestRunningAgentPrinterStates covers the printer states a running agent reports (terminal/cli).
func TestRunningAgentPrinterStates(t *testing.T) {
	for _, tc := range []struct {
		reported string
		status   Status
		want     string
	}{
		{"ready", StatusOK, "reports the printer ready"},
		{"unknown (no status answer); last print: printed", StatusWarn, "no status"},
		{"printer cover open (printer status: offline: cover open)", StatusFail, "close the printer cover"},
		{"error: printer disconnected: EOF", StatusFail, "check the printer's power and cable"},
	} {
		l := newLane(t, laneOptions{})
		fakeAgent(t, l, localapi.Status{TerminalID: l.terminalID, Printer: tc.reported, Scanner: "disconnected"})
		r := l.run(t, nil)
		expect(t, r, tc.status, "printer", tc.want)
		expect(t, r, StatusFail, "scanner", "cannot reach the scanner")
	}
}

func TestJSONReport(t *testing.T) {
	l := newLane(t, laneOptions{})
	l.printer.SetPaperOut(true)
	var b bytes.Buffer
	if err := l.run(t, nil).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.OK || len(got.Checks) != len(Names()) || byName(got)["printer"].Status != StatusFail || byName(got)["printer"].Fix == "" {
		t.Fatalf("json report: %s", b.String())
	}
}

// TestCommandGolden runs `posagent doctor` as the CLI does on a lane with no config and on one that is
// not enrolled with the server down, and compares the lines a technician reads with testdata/.
func TestCommandGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		lane   func(t *testing.T) (config string, dir string)
	}{
		{"no-config.txt", func(t *testing.T) (string, string) {
			dir := t.TempDir()
			return filepath.Join(dir, "posagent.yaml"), dir
		}},
		{"not-enrolled-server-down.txt", func(t *testing.T) (string, string) {
			l := newLane(t, laneOptions{noIdentity: true, serverURL: "http://127.0.0.1:1"})
			l.printer.SetPaperOut(true)
			return l.config, l.dir
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			config, dir := tc.lane(t)
			root := &cobra.Command{Use: "posagent", SilenceUsage: true, SilenceErrors: true}
			root.PersistentFlags().String("config", "", "")
			cmd := Command("v-test")
			root.AddCommand(cmd)
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs([]string{"doctor", "--config", config})
			// The disk check measures the real file system: its numbers are masked below.
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), "checks failed") {
				t.Fatalf("exit error %v", err)
			}
			got := normalize(out.String(), dir)
			path := filepath.Join("testdata", tc.golden)
			if *update {
				os.MkdirAll("testdata", 0o755)
				os.WriteFile(path, []byte(got), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Fatalf("doctor output differs from %s (go test -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

// normalize replaces what differs between runs: temp dirs, ptys, ports, disk figures.
func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	for _, re := range []struct{ pat, repl string }{
		{`/dev/pts/\d+`, "/dev/pts/N"},
		{`127\.0\.0\.1:\d+`, "127.0.0.1:PORT"},
		{`\d+ MiB free of \d+ MiB on the file system of \S+`, "N MiB free of N MiB on the file system of DIR"},
	} {
		s = regexp.MustCompile(re.pat).ReplaceAllString(s, re.repl)
	}
	return s
}
