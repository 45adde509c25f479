// Package demo drives the whole stillpay system as separate processes on one machine: settlementd
// on a temporary data directory, posagent provisioned against it with a simulated scanner and
// printer (ptys, in this process), and the wallet command line as the customer's phone. `make demo`
// runs Demo through cmd/stilldemo; the terminal's end-to-end and crash tests use the same Lab.
//
// It runs binaries, never links them: posagent must not link server code, and the demo proves the
// real binaries work together.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/hardware/sim/simscanner"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/wallet"
)

// Fixed names of the lab's world.
const (
	MerchantID   = "M-DEMO"
	MerchantName = "Corner Cafe"
	TerminalID   = "T-DEMO-01"
	UserID       = "alice"
	AccountID    = "ACC-ALICE"
	password     = "correct horse battery staple"
)

// Limits the lab's terminal is enrolled with (minor units of EUR).
const (
	FloorLimit      = 5000
	OfflineMaxCount = 50
	OfflineMaxMinor = 100000
	OfflineMaxAge   = 86400
)

// Lab is a running system.
type Lab struct {
	Dir, Bin   string
	ServerURL  string
	serverAddr string
	server     *proc
	agent      *proc
	agentAPI   string
	lanes      []*Terminal // AddLane's terminals, whose printers Close stops

	Scanner *simscanner.Scanner
	Printer *simprinter.Printer
	API     *localapi.Client
	// AgentConfig is the posagent config file.
	AgentConfig string
	// AgentEnv is appended to posagent's environment.
	Log io.Writer
}

// Options configures NewLab.
type Options struct {
	Bin string // directory holding settlementd, posagent and wallet
	Dir string // work directory (created)
	Log io.Writer
	// ServerArgs are extra flags for `settlementd serve`.
	ServerArgs []string
	// OpeningBalance is alice's opening balance, decimal EUR.
	OpeningBalance string
	// PrinterOutDir, if set, receives the simulated printer's receipts as files.
	PrinterOutDir string
	// KeepReceipts bounds the receipts the simulated printer keeps in memory (default 100000).
	KeepReceipts int
	// PrinterProfile is the simulated printer's model (default generic-80mm), e.g. generic-58mm.
	PrinterProfile string
	// PrinterNoTransmitStatus makes the simulated printer one without GS r (it answers the status
	// but never confirms a job); posagent then waits PrinterConfirmTimeout for the confirmation.
	PrinterNoTransmitStatus bool
	// PrinterConfirmTimeout is printer.confirm_timeout in posagent's config ("" : the default).
	PrinterConfirmTimeout string
}

// AgentAPIAddr is the host:port of posagent's local API.
func (l *Lab) AgentAPIAddr() string { return l.agentAPI }

func (l *Lab) bin(name string) string { return filepath.Join(l.Bin, name) }

func (l *Lab) logf(format string, args ...any) {
	if l.Log != nil {
		fmt.Fprintf(l.Log, format+"\n", args...)
	}
}

// NewLab starts settlementd, creates the merchant, terminal, user and account, starts the
// simulated scanner and printer, and provisions posagent. It does not start posagent.
func NewLab(ctx context.Context, opt Options) (*Lab, error) {
	for _, b := range []string{"settlementd", "posagent", "wallet"} {
		if _, err := os.Stat(filepath.Join(opt.Bin, b)); err != nil {
			return nil, fmt.Errorf("demo: %s not found in %s (build first: go build -o %s/ ./cmd/...)", b, opt.Bin, opt.Bin)
		}
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, err
	}
	l := &Lab{Dir: opt.Dir, Bin: opt.Bin, Log: opt.Log}
	var err error
	if l.serverAddr, err = freePort(); err != nil {
		return nil, err
	}
	l.ServerURL = "http://" + l.serverAddr
	if err := l.StartServer(ctx, opt.ServerArgs...); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			l.Close()
		}
	}()
	if opt.OpeningBalance == "" {
		opt.OpeningBalance = "500.00"
	}
	if _, err := l.Admin(ctx, "merchant", "add", "--id", MerchantID, "--name", MerchantName, "--currency", "EUR",
		"--receipt-line", "1 Demo Street", "--receipt-line", "VAT DE000000000"); err != nil {
		return nil, err
	}
	out, err := l.Admin(ctx, "--json", "terminal", "add", "--id", TerminalID, "--merchant", MerchantID, "--name", "till 1",
		"--floor-limit", decimalEUR(FloorLimit), "--offline-max-count", fmt.Sprint(OfflineMaxCount),
		"--offline-max", decimalEUR(OfflineMaxMinor), "--offline-max-age", fmt.Sprint(OfflineMaxAge)+"s")
	if err != nil {
		return nil, err
	}
	var term struct {
		EnrollCode string `json:"enroll_code"`
	}
	if err := json.Unmarshal([]byte(out), &term); err != nil || term.EnrollCode == "" {
		return nil, fmt.Errorf("demo: terminal add answered %q: %v", out, err)
	}
	pwFile := filepath.Join(l.Dir, "alice.password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if _, err := l.Admin(ctx, "user", "add", "--id", UserID, "--name", "Alice", "--password-file", pwFile); err != nil {
		return nil, err
	}
	if _, err := l.Admin(ctx, "account", "add", "--id", AccountID, "--user", UserID, "--opening", opt.OpeningBalance, "--currency", "EUR"); err != nil {
		return nil, err
	}

	slogger := slog.New(slog.DiscardHandler)
	if l.Scanner, err = simscanner.New(simscanner.Options{Suffix: "CR", AIM: true, SplitWrites: true, Link: filepath.Join(l.Dir, "scanner")}, slogger); err != nil {
		return nil, fmt.Errorf("demo: simulated scanner: %w", err)
	}
	if opt.KeepReceipts == 0 {
		opt.KeepReceipts = 100000
	}
	if opt.PrinterProfile == "" {
		opt.PrinterProfile = "generic-80mm"
	}
	if l.Printer, err = simprinter.NewPTY(simprinter.Options{OutDir: opt.PrinterOutDir, Profile: opt.PrinterProfile, KeepReceipts: opt.KeepReceipts,
		NoTransmitStatus: opt.PrinterNoTransmitStatus}, slogger); err != nil {
		return nil, fmt.Errorf("demo: simulated printer: %w", err)
	}
	if err := l.Printer.Link(filepath.Join(l.Dir, "printer")); err != nil {
		return nil, err
	}
	if l.agentAPI, err = freePort(); err != nil {
		return nil, err
	}
	l.AgentConfig = filepath.Join(l.Dir, "posagent.yaml")
	confirmTimeout := ""
	if opt.PrinterConfirmTimeout != "" {
		confirmTimeout = "\n  confirm_timeout: " + opt.PrinterConfirmTimeout
	}
	cfg := fmt.Sprintf(`server:
  url: %s
  timeout: 2s
scanner:
  type: serial
  port: %s
  suffix: CR
printer:
  type: serial
  port: %s
  profile: %s%s
local_api:
  listen: %s
sale:
  currency: EUR
  scan_timeout: 2m
receipt:
  footer: ["Thank you for shopping with stillpay"]
forwarder:
  interval: 200ms
  max_backoff: 1s
log:
  level: info
`, l.ServerURL, filepath.Join(l.Dir, "scanner"), filepath.Join(l.Dir, "printer"), opt.PrinterProfile, confirmTimeout, l.agentAPI)
	if err := os.WriteFile(l.AgentConfig, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	out, err = run(ctx, l.bin("posagent"), "provision", "--config", l.AgentConfig, "--server", l.ServerURL, "--enroll-code", term.EnrollCode)
	if err != nil {
		return nil, err
	}
	l.logf("%s", strings.TrimSpace(indent(out)))
	l.API = localapi.NewClient(l.agentAPI)
	ok = true
	return l, nil
}

// decimalEUR writes minor units of EUR as the admin CLI takes them, e.g. 5000 → "50.00".
func decimalEUR(minor int64) string {
	a, _ := money.New(minor, "EUR")
	return a.Decimal()
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// StartServer starts settlementd on the lab's fixed address and waits until it answers.
func (l *Lab) StartServer(ctx context.Context, extra ...string) error {
	args := append([]string{"serve", "--data", filepath.Join(l.Dir, "server"), "--listen", l.serverAddr}, extra...)
	p, err := start(l.Dir, "settlementd", l.bin("settlementd"), args...)
	if err != nil {
		return err
	}
	l.server = p
	return waitFor(ctx, 20*time.Second, "settlementd to answer", func() error {
		if p.exited() {
			return fmt.Errorf("settlementd exited:\n%s", p.tail())
		}
		resp, err := http.Get(l.ServerURL + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("health: HTTP %d", resp.StatusCode)
		}
		return nil
	})
}

// StopServer stops settlementd gracefully.
func (l *Lab) StopServer() {
	if l.server != nil {
		l.server.stop(10 * time.Second)
		l.server = nil
	}
}

// PauseServer freezes settlementd (SIGSTOP): the kernel still accepts its connections, but
// nothing answers — a hung server. ResumeServer (SIGCONT) lets it go on with what it received.
func (l *Lab) PauseServer() error {
	if l.server == nil {
		return errors.New("demo: no server running")
	}
	return l.server.cmd.Process.Signal(syscall.SIGSTOP)
}

// ResumeServer continues a paused settlementd.
func (l *Lab) ResumeServer() error {
	if l.server == nil {
		return errors.New("demo: no server running")
	}
	return l.server.cmd.Process.Signal(syscall.SIGCONT)
}

// KillServer ends settlementd with SIGKILL.
func (l *Lab) KillServer() {
	if l.server != nil {
		l.server.kill()
		l.server = nil
	}
}

// StartAgent starts `posagent run` and waits until its local API answers.
func (l *Lab) StartAgent(ctx context.Context) error {
	p, err := start(l.Dir, "posagent", l.bin("posagent"), "run", "--config", l.AgentConfig)
	if err != nil {
		return err
	}
	l.agent = p
	return waitFor(ctx, 20*time.Second, "posagent to answer", func() error {
		if p.exited() {
			return fmt.Errorf("posagent exited:\n%s", p.tail())
		}
		_, err := l.API.Status(ctx)
		return err
	})
}

// AgentExited reports whether the last started posagent has exited, with its log tail.
func (l *Lab) AgentExited() (bool, string) {
	if l.agent == nil {
		return true, ""
	}
	return l.agent.exited(), l.agent.tail()
}

// StopAgent stops posagent gracefully.
func (l *Lab) StopAgent() {
	if l.agent != nil {
		l.agent.stop(10 * time.Second)
		l.agent = nil
	}
}

// TerminateAgent sends posagent SIGTERM and returns how it exited: nil for status 0, an
// *exec.ExitError otherwise, or the SIGKILL it got after grace.
func (l *Lab) TerminateAgent(grace time.Duration) error {
	if l.agent == nil {
		return errors.New("demo: posagent is not running")
	}
	err := l.agent.stop(grace)
	l.agent = nil
	return err
}

// KillAgent ends posagent with SIGKILL, like a power cut.
func (l *Lab) KillAgent() {
	if l.agent != nil {
		l.agent.kill()
		l.agent = nil
	}
}

// Admin runs `settlementd admin ARGS` against the lab's server.
func (l *Lab) Admin(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"admin", "--server", l.ServerURL, "--data", filepath.Join(l.Dir, "server")}, args...)
	return run(ctx, l.bin("settlementd"), full...)
}

// Posagent runs a posagent command with the lab's config.
func (l *Lab) Posagent(ctx context.Context, args ...string) (string, error) {
	return run(ctx, l.bin("posagent"), append(args, "--config", l.AgentConfig)...)
}

// Wallet is one phone.
type Wallet struct {
	lab  *Lab
	home string
}

// NewWallet logs alice in on a new phone (home directory name) and authorizes offline codes.
func (l *Lab) NewWallet(ctx context.Context, name, capPerPayment string, codes int) (*Wallet, error) {
	return l.NewWalletTTL(ctx, name, capPerPayment, codes, "24h")
}

// NewWalletTTL is NewWallet with a credential lifetime such as "24h".
func (l *Lab) NewWalletTTL(ctx context.Context, name, capPerPayment string, codes int, ttl string) (*Wallet, error) {
	w := &Wallet{lab: l, home: filepath.Join(l.Dir, "wallet-"+name)}
	if _, err := w.run(ctx, "login", "--server", l.ServerURL, "--user", UserID, "--password-file", filepath.Join(l.Dir, "alice.password")); err != nil {
		return nil, err
	}
	if _, err := w.run(ctx, "authorize", "--account", AccountID, "--cap", capPerPayment, "--currency", "EUR", "--codes", fmt.Sprint(codes), "--ttl", ttl); err != nil {
		return nil, err
	}
	return w, nil
}

// Home is the wallet's home directory (its authorization, secret and device key): tests that play a
// cloned phone read it.
func (w *Wallet) Home() string { return w.home }

func (w *Wallet) run(ctx context.Context, args ...string) (string, error) {
	return run(ctx, w.lab.bin("wallet"), append([]string{"--home", w.home}, args...)...)
}

// NextCode makes the next code in this process (the wallet library, without starting a process).
func (w *Wallet) NextCode() (string, error) {
	c, err := wallet.Open(w.home, nil).NextCode()
	return c.Text, err
}

// Reauthorize asks for a fresh credential, when the codes run out.
func (w *Wallet) Reauthorize(ctx context.Context, capPerPayment string, codes int) error {
	_, err := w.run(ctx, "authorize", "--account", AccountID, "--cap", capPerPayment, "--currency", "EUR", "--codes", fmt.Sprint(codes), "--ttl", "24h")
	return err
}

// AgentPID is the running posagent's process id, or 0.
func (l *Lab) AgentPID() int {
	if l.agent == nil {
		return 0
	}
	return l.agent.cmd.Process.Pid
}

// Code returns the phone's next offline code as payload text.
func (w *Wallet) Code(ctx context.Context) (string, error) {
	out, err := w.run(ctx, "code", "--raw")
	return strings.TrimSpace(out), err
}

// Sale starts a sale of amount (decimal EUR) at the register, scans text with the simulated
// scanner and waits for the outcome.
func (l *Lab) Sale(ctx context.Context, amount, text string) (agent.SaleView, error) {
	v, err := l.API.StartSale(ctx, localapi.StartSaleRequest{Amount: amount, Reference: "demo"})
	if err != nil {
		return v, err
	}
	if err := l.Scanner.Send(ctx, text); err != nil {
		return v, fmt.Errorf("scan: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err = l.API.WaitFinal(wctx, v, nil)
	// The receipt prints after the outcome; wait for its status so the caller can report it.
	for err == nil && v.State == agent.SaleApproved && v.PrintStatus == "" && wctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		v, err = l.API.Sale(wctx, v.ID, 0, "")
	}
	return v, err
}

// WaitDrained waits until posagent's outbox is empty.
func (l *Lab) WaitDrained(ctx context.Context, timeout time.Duration) error {
	return waitFor(ctx, timeout, "the queue to drain", func() error {
		st, err := l.API.Status(ctx)
		if err != nil {
			return err
		}
		if st.QueueDepth > 0 {
			return fmt.Errorf("%d item(s) still queued (forwarder: %s)", st.QueueDepth, st.Forwarder.LastError)
		}
		return nil
	})
}

// Balance is one ledger account.
type Balance struct {
	AccountID string       `json:"account_id"`
	Kind      string       `json:"kind"`
	OwnerID   string       `json:"owner_id"`
	Balance   money.Amount `json:"balance"`
}

// Balances reads every account's balance from the server.
func (l *Lab) Balances(ctx context.Context) ([]Balance, error) {
	out, err := l.Admin(ctx, "--json", "balances", "--limit", "1000")
	if err != nil {
		return nil, err
	}
	var b struct {
		Accounts []Balance `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		return nil, fmt.Errorf("demo: balances: %w", err)
	}
	return b.Accounts, nil
}

// ServerTxn is a terminal transaction as the server stored it.
type ServerTxn struct {
	TerminalTxnID string       `json:"terminal_txn_id"`
	Kind          string       `json:"kind"`
	Status        string       `json:"status"`
	Code          string       `json:"code"`
	Offline       bool         `json:"offline"`
	Amount        money.Amount `json:"amount"`
	TargetTxnID   string       `json:"target_txn_id"`
}

// Transactions reads the terminal's transactions from the server.
func (l *Lab) Transactions(ctx context.Context) ([]ServerTxn, error) {
	return l.TransactionsOf(ctx, TerminalID)
}

// TransactionsOf reads terminal id's transactions (at most 1,000, newest first) from the server.
func (l *Lab) TransactionsOf(ctx context.Context, id string) ([]ServerTxn, error) {
	out, err := l.Admin(ctx, "--json", "transactions", "--terminal", id, "--limit", "1000")
	if err != nil {
		return nil, err
	}
	var t struct {
		Transactions []ServerTxn `json:"transactions"`
	}
	if err := json.Unmarshal([]byte(out), &t); err != nil {
		return nil, fmt.Errorf("demo: transactions: %w", err)
	}
	return t.Transactions, nil
}

// MerchantBalance is the merchant's settlement account balance in minor units.
func MerchantBalance(bs []Balance) (int64, error) {
	for _, b := range bs {
		if b.Kind == "merchant" && b.OwnerID == MerchantID {
			return b.Balance.Minor, nil
		}
	}
	return 0, errors.New("demo: no merchant account in the balances")
}

// Close stops everything.
func (l *Lab) Close() {
	l.StopAgent()
	l.StopServer()
	if l.Scanner != nil {
		l.Scanner.Close()
	}
	if l.Printer != nil {
		l.Printer.Close()
	}
	for _, t := range l.lanes {
		if t.p != nil && !t.p.exited() {
			t.p.stop(10 * time.Second)
		}
		if t.Printer != nil {
			t.Printer.Close()
		}
	}
}

// Terminal is an extra lane: codes reach it through its local API; it has no scanner, and a
// simulated printer of its own when added with AddLane.
type Terminal struct {
	ID  string
	API *localapi.Client
	// Printer is the lane's simulated printer, nil for AddTerminal.
	Printer *simprinter.Printer
	dir     string
	cfgPath string
	p       *proc
}

// AddTerminal enrolls and starts another terminal of the merchant, with no scanner or printer.
func (l *Lab) AddTerminal(ctx context.Context, id string) (*Terminal, error) {
	return l.addTerminal(ctx, id, false)
}

// AddLane enrolls and starts another terminal of the merchant with a simulated printer of its own
// (generic-80mm, receipts kept in memory) and no scanner. Close stops its printer.
func (l *Lab) AddLane(ctx context.Context, id string) (*Terminal, error) {
	return l.addTerminal(ctx, id, true)
}

func (l *Lab) addTerminal(ctx context.Context, id string, withPrinter bool) (*Terminal, error) {
	out, err := l.Admin(ctx, "--json", "terminal", "add", "--id", id, "--merchant", MerchantID,
		"--floor-limit", decimalEUR(FloorLimit), "--offline-max-count", fmt.Sprint(OfflineMaxCount),
		"--offline-max", decimalEUR(OfflineMaxMinor), "--offline-max-age", fmt.Sprint(OfflineMaxAge)+"s")
	if err != nil {
		return nil, err
	}
	var term struct {
		EnrollCode string `json:"enroll_code"`
	}
	if err := json.Unmarshal([]byte(out), &term); err != nil {
		return nil, err
	}
	dir := filepath.Join(l.Dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &Terminal{ID: id, API: localapi.NewClient(addr), dir: dir, cfgPath: filepath.Join(dir, "posagent.yaml")}
	l.lanes = append(l.lanes, t) // every lane, printer or not, is stopped by Close
	printerCfg := "printer: {type: none}\n"
	if withPrinter {
		if t.Printer, err = simprinter.NewPTY(simprinter.Options{Profile: "generic-80mm", KeepReceipts: 100000}, slog.New(slog.DiscardHandler)); err != nil {
			return nil, fmt.Errorf("demo: simulated printer: %w", err)
		}
		link := filepath.Join(dir, "printer")
		if err := t.Printer.Link(link); err != nil {
			t.Printer.Close()
			t.Printer = nil
			return nil, err
		}
		printerCfg = fmt.Sprintf("printer: {type: serial, port: '%s', profile: generic-80mm}\n", link)
	}
	cfg := fmt.Sprintf("server: {url: %s, timeout: 2s}\nscanner: {type: none}\n%slocal_api: {listen: '%s'}\nforwarder: {interval: 200ms, max_backoff: 1s}\n",
		l.ServerURL, printerCfg, addr)
	if err := os.WriteFile(t.cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	if _, err := run(ctx, l.bin("posagent"), "provision", "--config", t.cfgPath, "--enroll-code", term.EnrollCode); err != nil {
		return nil, err
	}
	return t, t.Start(ctx, l)
}

// Start starts the terminal's agent (again) and waits until its local API answers.
func (t *Terminal) Start(ctx context.Context, l *Lab) error {
	p, err := start(t.dir, "posagent", l.bin("posagent"), "run", "--config", t.cfgPath)
	if err != nil {
		return err
	}
	t.p = p
	return waitFor(ctx, 20*time.Second, t.ID+" to answer", func() error {
		if p.exited() {
			return fmt.Errorf("%s exited:\n%s", t.ID, p.tail())
		}
		_, err := t.API.Status(ctx)
		return err
	})
}

// Kill ends the terminal's agent with SIGKILL, like a power cut.
func (t *Terminal) Kill() { t.p.kill() }

// Sale makes a sale on the terminal with a code typed at its register.
func (t *Terminal) Sale(ctx context.Context, amount, code string) (agent.SaleView, error) {
	v, err := t.API.StartSale(ctx, localapi.StartSaleRequest{Amount: amount})
	if err != nil {
		return v, err
	}
	if err := t.API.SubmitCode(ctx, v.ID, code); err != nil {
		return v, err
	}
	return t.API.WaitFinal(ctx, v, nil)
}

// Stop stops the terminal's agent.
func (t *Terminal) Stop() { t.p.stop(10 * time.Second) }
