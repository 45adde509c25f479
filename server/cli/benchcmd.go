package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/api"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/keysync"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store/storeopen"
	"github.com/stillpay/stillpay/shared/protocol"
)

func newBenchCmd() *cobra.Command {
	cfg := bench.Config{
		Terminals:            bench.DefaultTerminals,
		SinglePerTerminal:    bench.DefaultSinglePerTerm,
		Batch100PerTerminal:  bench.DefaultBatch100PerTerm,
		Batch1000PerTerminal: bench.DefaultBatch1000PerTerm,
		BaselineOps:          bench.DefaultBaselineOps,
		OrdersPerTerminal:    bench.DefaultOrdersPerTerm,
	}
	var server, tokenFile, data, storeSpec string
	var asJSON, serverProcess bool
	var serverPID int
	var cpuProfile, serverProfile string
	var gcPercent int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure approved payments per second through HTTP against a bbolt fsync baseline",
		Long: `Measure approved payments per second through HTTP with concurrent terminals: one payment per
request, batches of 100 and batches of 1,000, next to a baseline measured in the same run (a bbolt
loop with one fsync'd Update per payment).

Without --server it starts settlementd in this process on a fresh data directory (--data, default a
temporary directory) on 127.0.0.1; with --server-process it starts 'settlementd serve' of this binary
as a child process instead, so the report adds the server's own CPU per payment next to the whole
(load generator + server). With --server URL --token-file FILE it measures a running settlementd (any
store) and writes the baseline file in --data (default a temporary directory); --server-pid PID of a
local server adds its CPU the same way.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			if err := applyGCPercent(cmd, gcPercent); err != nil {
				return err
			}
			if serverPID != 0 {
				if server == "" {
					return errors.New("--server-pid names the process of a local --server: give --server too")
				}
				if err := checkPID(serverPID); err != nil {
					return fmt.Errorf("--server-pid %d: %w", serverPID, err)
				}
			}
			ctx := cmd.Context()
			if data == "" {
				tmp, err := os.MkdirTemp("", "settlementd-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				data = tmp
			}
			cfg.BaselineDir = data
			cfg.Progress = cmd.ErrOrStderr()
			if serverProfile != "" && !serverProcess {
				return errors.New("--server-cpuprofile profiles the server child: give --server-process too")
			}
			if cpuProfile != "" {
				prof, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer prof.stop()
			}
			if server != "" {
				if tokenFile == "" {
					return errors.New("--server needs --token-file")
				}
				tok, err := admin.LoadToken(tokenFile)
				if err != nil {
					return err
				}
				cfg.BaseURL, cfg.AdminToken = server, tok
				readGroupsFromMetrics(&cfg)
				if serverPID > 0 {
					cfg.ServerCPUTime = func() time.Duration { return pidCPU(serverPID) }
					cfg.CPUTime = func() time.Duration { return processCPU() + pidCPU(serverPID) }
				}
				return runBench(ctx, cmd, cfg, asJSON)
			}
			if serverProcess {
				return benchChild(ctx, cmd, cfg, filepath.Join(data, "server"), childOptions{storeSpec: storeSpec, gcPercent: gcPercent, cpuProfile: serverProfile}, asJSON)
			}
			return benchInProcess(ctx, cmd, cfg, filepath.Join(data, "server"), storeSpec, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&server, "server", "", "measure this running settlementd instead of one started here")
	fl.StringVar(&tokenFile, "token-file", "", "admin token file of --server")
	fl.IntVar(&serverPID, "server-pid", 0, "process id of a local --server: the report adds its own CPU per payment (Linux)")
	fl.BoolVar(&serverProcess, "server-process", false, "run the server as a child process ('settlementd serve' of this binary), so the report shows its own CPU per payment apart from the load generator's")
	fl.StringVar(&data, "data", "", "directory for the baseline file and the in-process server (default: temporary)")
	addStoreFlag(fl, &storeSpec)
	fl.IntVar(&cfg.Terminals, "terminals", cfg.Terminals, "concurrent terminals")
	fl.IntVar(&cfg.SinglePerTerminal, "single", cfg.SinglePerTerminal, "one-payment requests per terminal (0 skips)")
	fl.IntVar(&cfg.Batch100PerTerminal, "batch100", cfg.Batch100PerTerminal, "batches of 100 per terminal (0 skips)")
	fl.IntVar(&cfg.Batch1000PerTerminal, "batch1000", cfg.Batch1000PerTerminal, "batches of 1,000 per terminal (0 skips)")
	fl.IntVar(&cfg.OrdersPerTerminal, "orders", cfg.OrdersPerTerminal, "flow 2 orders per terminal, each created and confirmed by a phone through HTTP (0 skips)")
	fl.IntVar(&cfg.BaselineOps, "baseline", cfg.BaselineOps, "updates in the bbolt baseline loop (0 skips)")
	fl.IntVar(&cfg.Repeats, "repeats", 3, "runs of each phase, each between two baselines; medians and spread are printed")
	fl.BoolVar(&cfg.SignEveryRequest, "sign-every-request", false, "terminals sign each request with Ed25519 instead of MACing it under a session key (the way before sessions)")
	fl.BoolVar(&cfg.SignEachApproval, "sign-each-approval", false, "terminals do not announce group proofs, so the server signs each single approval on its own (the way before approval groups)")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	addGCFlag(fl, &gcPercent)
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (driver and in-process server; the driver alone with --server-process) to this file")
	fl.StringVar(&serverProfile, "server-cpuprofile", "", "with --server-process: write a CPU profile of the server child to this file, from the first phase on (not the setup) until it shuts down")
	cmd.MarkFlagsMutuallyExclusive("server", "server-process")
	return cmd
}

// benchInProcess starts settlementd on data and 127.0.0.1:0 in this process, then measures it.
func benchInProcess(ctx context.Context, cmd *cobra.Command, cfg bench.Config, data, storeSpec string, asJSON bool) error {
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := openApp(ctx, data, storeSpec, filepath.Join(data, adminTokenFileName), keysync.DefaultPoll, "", service.Config{Policy: service.DefaultPolicy()}, api.Config{}, log)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- api.Serve(sctx, a.handler, api.ServeConfig{Listener: ln, Log: log}) }()
	cfg.BaseURL, cfg.AdminToken = "http://"+ln.Addr().String(), a.token
	cfg.CPUTime = processCPU
	cfg.ApprovalGroups = infallible(a.svc.GroupStats)
	if cs := storeopen.CommitStats(a.store); cs != nil {
		cfg.Commits = infallible(cs)
	}
	err = runBench(ctx, cmd, cfg, asJSON)
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	return err
}

// infallible adapts a counter read in this process to bench.Config's, which may fail (over HTTP).
func infallible(f func() (uint64, uint64)) func() (uint64, uint64, error) {
	return func() (uint64, uint64, error) { a, b := f(); return a, b, nil }
}

// readGroupsFromMetrics makes the bench read the group counters of a server in another process from
// its /metrics (on the API address, no token). If they cannot be read (a server that does not export
// them, or --metrics-listen moved /metrics elsewhere) the columns stay empty; the run goes on.
func readGroupsFromMetrics(cfg *bench.Config) {
	src := bench.MetricsSource{URL: strings.TrimSuffix(cfg.BaseURL, "/") + protocol.PathMetrics}
	cfg.Commits, cfg.ApprovalGroups = src.Commits, src.ApprovalGroups
}

func runBench(ctx context.Context, cmd *cobra.Command, cfg bench.Config, asJSON bool) error {
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.Print(cmd.OutOrStdout())
	fmt.Fprintln(cmd.OutOrStdout())
	return nil
}
