package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stillpay/stillpay/shared/protocol"
)

// envPrefix prefixes every environment variable that sets a flag: --data is SETTLEMENTD_DATA,
// --admin-token-file is SETTLEMENTD_ADMIN_TOKEN_FILE. A flag given on the command line wins.
const envPrefix = "SETTLEMENTD_"

// Main runs settlementd with args (without the program name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var p *protocol.Problem
	if errors.As(err, &p) {
		fmt.Fprintf(stderr, "settlementd: %s: %s\n", p.Code, p.Detail)
	} else {
		fmt.Fprintf(stderr, "settlementd: %v\n", err)
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

// Stamped by the Makefile with -ldflags "-X .../server/cli.version=... -X .../server/cli.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "settlementd %s (commit %s)\n", version, commit)
			return nil
		},
	}
}

// exitCoder lets a command choose its exit code (admin check exits 2 when the ledger is wrong).
type exitCoder interface{ ExitCode() int }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "settlementd",
		Short:         "stillpay settlement server: first and second approvals, batches, ledger",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCmd(), newAdminCmd(), newKeysCmd(), newBenchCmd(), newMerchantCmd(), newVersionCmd())
	return root
}

// bindEnv makes every flag of cmd that was not set on the command line take its value from the
// environment variable SETTLEMENTD_<FLAG_NAME>, if set.
func bindEnv(cmd *cobra.Command) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// durationSeconds logs a time.Duration as seconds (a float), not nanoseconds: "timeout":3 rather
// than "timeout":3000000000 in JSON logs.
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}

// newLogger builds the process logger on stderr.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: durationSeconds}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}
