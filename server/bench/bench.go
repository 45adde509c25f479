package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Defaults of a run; `settlementd bench` exposes them as flags.
const (
	DefaultTerminals        = 64
	DefaultSinglePerTerm    = 150 // one payment per request: 9,600 payments
	DefaultBatch100PerTerm  = 4   // batches of 100: 25,600 payments
	DefaultBatch1000PerTerm = 1   // batches of 1,000: 64,000 payments
	DefaultBaselineOps      = 2000

	// Goals (docs/benchmarks.md), as multiples of the baseline.
	GoalSingle    = 4.0
	GoalBatch1000 = 25.0
	// The other route to each goal (issue #13): where the ratio stays out of reach, the server's own
	// CPU per payment at or below these, in µs. Only a run with the server's CPU measured
	// (--server-process, or --server-pid) can meet them.
	GoalSingleServerCPU    = 100.0
	GoalBatch1000ServerCPU = 30.0

	benchCapMinor   = 100  // cap per payment of the bench credentials (1.00)
	benchCodes      = 1000 // codes per authorization (the default policy's maximum)
	benchPassword   = "bench-password-1"
	authsPerSession = 8
)

// Config says what to measure.
type Config struct {
	BaseURL    string
	AdminToken string
	// Terminals is the number of concurrent terminals.
	Terminals int
	// SinglePerTerminal, Batch100PerTerminal and Batch1000PerTerminal are the requests each terminal
	// sends in each phase; 0 skips the phase.
	SinglePerTerminal, Batch100PerTerminal, Batch1000PerTerminal int
	// OrdersPerTerminal is the flow 2 orders each terminal creates and a phone confirms; 0 skips.
	OrdersPerTerminal int
	// BaselineDir is where the bbolt baseline file goes (the same disk as the server's data);
	// BaselineOps is its length; 0 skips it.
	BaselineDir string
	BaselineOps int
	// Progress receives a line per step; nil discards.
	Progress io.Writer
	// SetupDone, when set, is called once the setup is done, before the first phase: the server
	// child's profile starts over there, so it holds the phases alone.
	SetupDone func() error
	// Commits, when set, reads the store's group-commit counters (transactions committed, write
	// requests in them), so the report shows how many writes shared each fsync: in process from the
	// store, else from the server's /metrics (MetricsSource). An error leaves the column empty.
	Commits func() (commits, writes uint64, err error)
	// ApprovalGroups, when set, reads the server's approval-group counters (signatures made,
	// approvals they proved), so the report shows how many single approvals shared a signature; as
	// Commits.
	ApprovalGroups func() (groups, approvals uint64, err error)
	// CPUTime, when set, reads the CPU time (user + system) of the whole measurement: this process
	// (the load generator, and the server when it runs in process) plus a server child process, so
	// the report shows CPU µs per payment. Under load from other programs it is steadier than
	// payments per second.
	CPUTime func() time.Duration
	// ServerCPUTime, when set, reads the CPU time of the server process alone (a child process or a
	// local --server's pid), so the report shows the server's own CPU µs per payment next to the
	// whole: the load generator (HTTP client, answer decode) shares the cores but is not the product.
	ServerCPUTime func() time.Duration
	// Repeats is how often each phase runs (default 1); the bbolt baseline is measured before and
	// after each run, each run's ratio is to the mean of those two, and Print adds each phase's
	// medians and spread.
	Repeats int
	// SignEveryRequest makes the terminals sign each request with Ed25519 instead of MACing it under
	// a session key (the way before terminal sessions), for comparison.
	SignEveryRequest bool
	// SignEachApproval makes the terminals not announce group proofs, so the server signs each
	// approval of a single request on its own (the way before approval groups), for comparison.
	SignEachApproval bool
}

// Row is one measured phase.
type Row struct {
	Name     string  `json:"name"`
	Payments int     `json:"payments"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"payments_per_second"`
	Ratio    float64 `json:"x_baseline,omitempty"`
	Goal     float64 `json:"goal_x,omitempty"`
	// ServerCPUGoal is the goal's other route: the server's CPU per payment at or below it, in µs.
	ServerCPUGoal float64 `json:"goal_server_cpu_us,omitempty"`
	// ApprovalsPerSignature is how many single approvals shared one group signature during the phase
	// (with Config.ApprovalGroups).
	ApprovalsPerSignature float64 `json:"approvals_per_signature,omitempty"`
	// Commits and WritesPerCommit are the store's group commits during the phase (with Config.Commits).
	Commits         uint64  `json:"commits,omitempty"`
	WritesPerCommit float64 `json:"writes_per_commit,omitempty"`
	// CPUMicrosPerPayment is the whole measurement's CPU time during the phase per payment (with
	// Config.CPUTime): load generator and server.
	CPUMicrosPerPayment float64 `json:"cpu_us_per_payment,omitempty"`
	// ServerCPUMicrosPerPayment is the server process's own CPU time during the phase per payment
	// (with Config.ServerCPUTime).
	ServerCPUMicrosPerPayment float64 `json:"server_cpu_us_per_payment,omitempty"`
	// Baseline is the baseline this row's Ratio is to: the mean of the runs just before and after
	// it (with Config.Repeats), else the run's one baseline.
	Baseline float64 `json:"baseline_payments_per_second,omitempty"`
}

// Report is a whole run.
type Report struct {
	BaselinePerSec float64 `json:"baseline_payments_per_second"`
	Rows           []Row   `json:"rows"`
}

// Print writes the report as a small table.
func (r Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tpayments\tseconds\tpayments/s\tx baseline\tgoal\twrites/commit\tapprovals/signature\tCPU µs/payment (all)\tserver CPU µs/payment\t")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", "bbolt fsync'd Update per payment (baseline)", "", "", r.BaselinePerSec, "1.0", "", "1", "", "", "")
	for _, row := range r.Rows {
		goal := verdict(row.Goal, row.Ratio, row.ServerCPUGoal, row.ServerCPUMicrosPerPayment)
		ratio := ""
		if r.BaselinePerSec > 0 {
			ratio = fmt.Sprintf("%.1f", row.Ratio)
		}
		perCommit := ""
		if row.Commits > 0 {
			perCommit = fmt.Sprintf("%.1f", row.WritesPerCommit)
		}
		perSig := ""
		if row.ApprovalsPerSignature > 0 {
			perSig = fmt.Sprintf("%.1f", row.ApprovalsPerSignature)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.Name, row.Payments, row.Seconds, row.PerSec, ratio, goal, perCommit, perSig,
			micros(row.CPUMicrosPerPayment), micros(row.ServerCPUMicrosPerPayment))
	}
	tw.Flush()
	r.printMedians(w)
}

// micros formats a CPU figure, or nothing when it was not measured.
func micros(v float64) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f", v)
}

// Run sets up a merchant, the terminals and enough funded credentials on the server, then measures
// each phase.
func Run(ctx context.Context, cfg Config) (Report, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	var rep Report
	if cfg.BaselineOps > 0 {
		fmt.Fprintf(progress, "baseline: %d fsync'd bbolt updates...\n", cfg.BaselineOps)
		b, err := BaselineBBolt(cfg.BaselineDir, cfg.BaselineOps)
		if err != nil {
			return rep, err
		}
		rep.BaselinePerSec = b
	}
	client := &http.Client{
		Timeout:   5 * time.Minute,
		Transport: &http.Transport{MaxIdleConns: 4 * cfg.Terminals, MaxIdleConnsPerHost: 4 * cfg.Terminals},
	}
	repeats := max(cfg.Repeats, 1)
	codesNeeded := repeats * cfg.Terminals * (cfg.SinglePerTerminal + 100*cfg.Batch100PerTerminal + 1000*cfg.Batch1000PerTerminal)
	fmt.Fprintf(progress, "setup: %d terminals, credentials for %d payments...\n", cfg.Terminals, codesNeeded)
	f, err := setup(ctx, client, cfg, codesNeeded)
	if err != nil {
		return rep, err
	}
	if cfg.SetupDone != nil {
		if err := cfg.SetupDone(); err != nil {
			return rep, err
		}
	}
	phases := []struct {
		name    string
		perTerm int
		size    int
		goal    float64
		cpuGoal float64
	}{
		{"HTTP, 1 payment per request", cfg.SinglePerTerminal, 1, GoalSingle, GoalSingleServerCPU},
		{"HTTP, batches of 100", cfg.Batch100PerTerminal, 100, 0, 0},
		{"HTTP, batches of 1,000", cfg.Batch1000PerTerminal, 1000, GoalBatch1000, GoalBatch1000ServerCPU},
	}
	// measure runs one phase and adds its row, with the store's commits and the ratio to the baseline.
	lastBaseline := rep.BaselinePerSec
	commits := &groupCounts{column: "writes/commit", read: cfg.Commits, progress: progress}
	groups := &groupCounts{column: "approvals/signature", read: cfg.ApprovalGroups, progress: progress}
	measure := func(goal, cpuGoal float64, run func() (Row, error)) error {
		base := lastBaseline
		commits0, groups0 := commits.take(), groups.take()
		row, err := run()
		if err != nil {
			return err
		}
		_, row.ApprovalsPerSignature = groups.delta(groups0, groups.take())
		row.Commits, row.WritesPerCommit = commits.delta(commits0, commits.take())
		row.Goal, row.ServerCPUGoal = goal, cpuGoal
		if cfg.Repeats > 1 && cfg.BaselineOps > 0 {
			after, err := BaselineBBolt(cfg.BaselineDir, cfg.BaselineOps)
			if err != nil {
				return err
			}
			base, lastBaseline = (base+after)/2, after
		}
		row.Baseline = base
		if base > 0 {
			row.Ratio = row.PerSec / base
		}
		rep.Rows = append(rep.Rows, row)
		return nil
	}
	for _, ph := range phases {
		if ph.perTerm == 0 {
			continue
		}
		for i := range repeats {
			fmt.Fprintf(progress, "%s (%d of %d): %d terminals x %d requests...\n", ph.name, i+1, repeats, cfg.Terminals, ph.perTerm)
			if err := measure(ph.goal, ph.cpuGoal, func() (Row, error) { return f.phase(ctx, ph.name, ph.perTerm, ph.size) }); err != nil {
				return rep, err
			}
		}
	}
	if cfg.OrdersPerTerminal > 0 {
		fmt.Fprintf(progress, "orders: %d terminals x %d orders, each confirmed by a phone...\n", cfg.Terminals, cfg.OrdersPerTerminal)
		if err := measure(0, 0, func() (Row, error) { return f.orderPhase(ctx, client, cfg, cfg.OrdersPerTerminal) }); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// fixture is what setup made.
type fixture struct {
	cpu     func() time.Duration // never nil
	srvCPU  func() time.Duration // never nil
	terms   []*Terminal
	wallets []*Wallet
	mu      sync.Mutex
	next    int // wallet to take codes from
	runs    int // phases run so far, so the ids of a repeated phase are new
}

func setup(ctx context.Context, client *http.Client, cfg Config, codes int) (*fixture, error) {
	ac := &admin.Client{BaseURL: cfg.BaseURL, Token: cfg.AdminToken, HTTP: client}
	run := make([]byte, 4)
	if _, err := rand.Read(run); err != nil {
		return nil, err
	}
	id := "bench-" + hex.EncodeToString(run) // a fresh namespace, so a run can target a used server
	merchant := id + "-m"
	if _, err := ac.AddMerchant(ctx, admin.MerchantRequest{MerchantID: merchant, Name: "bench", Currency: "EUR"}); err != nil {
		return nil, fmt.Errorf("bench: add merchant: %w", err)
	}
	f := &fixture{cpu: orZero(cfg.CPUTime), srvCPU: orZero(cfg.ServerCPUTime)}
	for i := range cfg.Terminals {
		tc, err := ac.AddTerminal(ctx, admin.TerminalRequest{TerminalID: fmt.Sprintf("%s-t%03d", id, i), MerchantID: merchant})
		if err != nil {
			return nil, fmt.Errorf("bench: add terminal: %w", err)
		}
		t, _, err := Enroll(ctx, client, cfg.BaseURL, tc.EnrollCode)
		if err != nil {
			return nil, fmt.Errorf("bench: enroll: %w", err)
		}
		t.GroupProofs = !cfg.SignEachApproval
		if !cfg.SignEveryRequest {
			if err := t.OpenSession(ctx); err != nil {
				return nil, fmt.Errorf("bench: open session: %w", err)
			}
		}
		f.terms = append(f.terms, t)
	}
	auths := (codes + benchCodes - 1) / benchCodes
	cap := money.Amount{Minor: benchCapMinor, Currency: "EUR"}
	for u := 0; u*authsPerSession < auths; u++ {
		user := fmt.Sprintf("%s-u%03d", id, u)
		if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: user, Password: benchPassword}); err != nil {
			return nil, fmt.Errorf("bench: add user: %w", err)
		}
		n := min(authsPerSession, auths-u*authsPerSession)
		opening := money.Amount{Minor: int64(n) * benchCapMinor * benchCodes, Currency: "EUR"}
		if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: user + "-a", UserID: user, OpeningBalance: opening}); err != nil {
			return nil, fmt.Errorf("bench: add account: %w", err)
		}
		tok, err := Login(ctx, client, cfg.BaseURL, user, benchPassword)
		if err != nil {
			return nil, fmt.Errorf("bench: login: %w", err)
		}
		for range n {
			w, err := Authorize(ctx, client, cfg.BaseURL, tok, user+"-a", cap, benchCodes, time.Hour)
			if err != nil {
				return nil, fmt.Errorf("bench: authorize: %w", err)
			}
			f.wallets = append(f.wallets, w)
		}
	}
	return f, nil
}

// code takes the next code from the wallets, in turn.
func (f *fixture) code(now time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.next < len(f.wallets) {
		c, err := f.wallets[f.next].Code(now)
		if err == ErrNoCodesLeft {
			f.next++
			continue
		}
		return c, err
	}
	return "", ErrNoCodesLeft
}

// phase pre-builds and pre-signs every request (so the clock measures the server, not the load
// generator's payload maker and request signer), then lets every terminal send its requests one
// after another, all terminals at once. A phase lasts far less than protocol.MaxRequestSkew, so the
// signatures made before it are still fresh when they arrive.
func (f *fixture) phase(ctx context.Context, name string, perTerm, size int) (Row, error) {
	now := time.Now()
	f.runs++
	run := f.runs
	path := protocol.PathTransactions
	if size > 1 {
		path = protocol.PathBatches
	}
	reqs := make([][]*http.Request, len(f.terms))
	// Requests are signed round by round across the terminals, in the order the terminals will send
	// them, so their timestamps (and the server's nonce index keyed by expiry) grow as they arrive,
	// as they do when real terminals sign each request just before sending it. Signing each
	// terminal's requests in one go would make 64 separate runs of timestamps, which the server then
	// inserts at 64 places of its nonce index at once: a cost no real fleet causes.
	for r := range perTerm {
		for ti, t := range f.terms {
			var body any
			if size == 1 {
				code, err := f.code(now)
				if err != nil {
					return Row{}, err
				}
				body = protocol.TransactionRequest{TerminalTxnID: fmt.Sprintf("%s-r%d-s%d", t.ID, run, r), Amount: money.Amount{Minor: 1 + int64(r%benchCapMinor), Currency: "EUR"}, Payload: code}
			} else {
				b := protocol.BatchRequest{BatchID: fmt.Sprintf("%s-r%d-b%d-%d", t.ID, run, size, r)}
				for i := range size {
					code, err := f.code(now)
					if err != nil {
						return Row{}, err
					}
					b.Items = append(b.Items, protocol.BatchItem{Kind: protocol.KindOffline, TerminalTxnID: fmt.Sprintf("%s-r%d-b%d-%d-%d", t.ID, run, size, r, i),
						Amount: money.Amount{Minor: 1 + int64(i%benchCapMinor), Currency: "EUR"}, Payload: code, ApprovedAt: now.UTC()})
				}
				body = b
			}
			raw, err := json.Marshal(body)
			if err != nil {
				return Row{}, err
			}
			req, err := t.SignedPost(ctx, path, raw)
			if err != nil {
				return Row{}, err
			}
			reqs[ti] = append(reqs[ti], req)
		}
	}
	if built := time.Since(now); built > protocol.MaxRequestSkew/2 {
		return Row{}, fmt.Errorf("bench: %s: building the requests took %s; their signatures would go stale (run fewer)", name, built.Round(time.Second))
	}
	var wg sync.WaitGroup
	approved := make([]int, len(f.terms))
	errs := make([]error, len(f.terms))
	cpu0 := f.cpuNow()
	start := time.Now()
	for ti, t := range f.terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, req := range reqs[ti] {
				ans, err := t.Send(req)
				if err != nil {
					errs[ti] = err
					return
				}
				n, err := countApproved(ans, size)
				if err != nil {
					errs[ti] = err
					return
				}
				approved[ti] += n
			}
		}()
	}
	wg.Wait()
	row, err := f.row(name, start, cpu0, approved, errs)
	if err != nil {
		return Row{}, err
	}
	if want := len(f.terms) * perTerm * size; row.Payments != want {
		return Row{}, fmt.Errorf("bench: %s: %d of %d payments approved", name, row.Payments, want)
	}
	return row, nil
}

// orZero is clock, or a clock that always reads zero (nothing measured).
func orZero(clock func() time.Duration) func() time.Duration {
	if clock == nil {
		return func() time.Duration { return 0 }
	}
	return clock
}

// cpuMark is the CPU used so far: the whole measurement's and the server's own.
type cpuMark struct{ all, server time.Duration }

func (f *fixture) cpuNow() cpuMark { return cpuMark{f.cpu(), f.srvCPU()} }

// row sums a phase's per-terminal counts into its figure; the first terminal error fails the phase.
func (f *fixture) row(name string, start time.Time, cpu0 cpuMark, counts []int, errs []error) (Row, error) {
	elapsed := time.Since(start).Seconds()
	total := 0
	for ti := range f.terms {
		if errs[ti] != nil {
			return Row{}, fmt.Errorf("bench: %s: terminal %s: %w", name, f.terms[ti].ID, errs[ti])
		}
		total += counts[ti]
	}
	row := Row{Name: name, Payments: total, Seconds: elapsed, PerSec: float64(total) / elapsed}
	now := f.cpuNow()
	if cpu := now.all - cpu0.all; cpu > 0 && total > 0 {
		row.CPUMicrosPerPayment = float64(cpu.Microseconds()) / float64(total)
	}
	if cpu := now.server - cpu0.server; cpu > 0 && total > 0 {
		row.ServerCPUMicrosPerPayment = float64(cpu.Microseconds()) / float64(total)
	}
	return row, nil
}

// outcome is what the load generator reads of each answer: whether the payment was approved (it
// does not verify approvals; the server's tests and the terminal do). Skipping the approvals instead
// of decoding them saves little: encoding/json scans them either way.
type outcome struct {
	TerminalTxnID string        `json:"terminal_txn_id"`
	Status        string        `json:"status"`
	Code          protocol.Code `json:"code"`
	Message       string        `json:"message"`
}

func countApproved(ans Answer, size int) (int, error) {
	if p := ans.Problem(); p != nil && ans.Status != http.StatusPaymentRequired {
		return 0, p
	}
	if size == 1 {
		var r outcome
		if err := ans.Decode(&r); err != nil {
			return 0, err
		}
		if r.Status != protocol.StatusApproved {
			return 0, fmt.Errorf("declined %s: %s", r.Code, r.Message)
		}
		return 1, nil
	}
	var br struct {
		Results []outcome `json:"results"`
	}
	if err := ans.Decode(&br); err != nil {
		return 0, err
	}
	if len(br.Results) != size {
		return 0, fmt.Errorf("a batch of %d answered with %d results", size, len(br.Results))
	}
	n := 0
	for _, r := range br.Results {
		if r.Status != protocol.StatusApproved {
			return 0, fmt.Errorf("batch item %s declined %s: %s", r.TerminalTxnID, r.Code, r.Message)
		}
		n++
	}
	return n, nil
}
