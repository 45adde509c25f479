// Package cli holds posagent's cobra commands: run (the daemon), sale, console, status, queue,
// provision and version. cmd/posagent only calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/doctor"
	"github.com/stillpay/stillpay/terminal/update"
)

// Stamped by the Makefile with -ldflags "-X .../terminal/cli.version=... -X .../terminal/cli.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// DefaultConfigPath is where a bundle installs the config; POSAGENT_CONFIG or --config override it.
const DefaultConfigPath = "/etc/posagent/posagent.yaml"

// ExitError carries a process exit status with its message.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exit statuses besides 0 and 1.
const (
	// ExitNotApproved: the sale ended declined or cancelled.
	ExitNotApproved = 2
)

type globals struct {
	configPath string
}

// NewRoot returns the posagent command tree.
func NewRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "posagent",
		Short:         "stillpay terminal agent: QR payments online and offline, scanner, printer, store-and-forward",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv("POSAGENT_CONFIG")
	if def == "" {
		def = DefaultConfigPath
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", def, "config file (env POSAGENT_CONFIG)")
	root.AddCommand(
		runCommand(g), saleCommand(g), consoleCommand(g), statusCommand(g), queueCommand(g),
		provisionCommand(g), versionCommand(),
	)
	root.AddCommand(orderCommand(g), stickerCommand(g))
	root.AddCommand(returnCommand(g, protocol.KindVoid), returnCommand(g, protocol.KindRefund), reprintCommand(g), pinHashCommand())
	root.AddCommand(doctor.Command(version), update.Command())
	root.AddCommand(hardwareCommands()...)
	return root
}

// Main runs the command line and returns the process exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	root := NewRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := withSignals(context.Background())
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "posagent:", err)
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

// SignalError is the cause (context.Cause) of a command context ended by SIGINT or SIGTERM.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return "signal " + e.Signal.String() + " received" }

type signalsKey struct{}

// withSignals is posagent's one signal handler. The first SIGINT or SIGTERM ends the returned
// context (cause *SignalError): commands that block (run, simulators, doctor --scan) stop cleanly.
// Every signal is also offered on the channel signalsOf gives, for the console, where Ctrl-C cancels
// the sale being waited for and only quits at the prompt. stop unregisters the handler.
func withSignals(parent context.Context) (context.Context, func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	relay := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case sig := <-sigs:
				cancel(&SignalError{Signal: sig})
				select {
				case relay <- sig:
				default: // the console has not taken the last one yet: one pending is enough
				}
			case <-done:
				return
			}
		}
	}()
	ctx = context.WithValue(ctx, signalsKey{}, (<-chan os.Signal)(relay))
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		<-stopped
		cancel(nil)
	}
}

// signalsOf returns the signals withSignals relays (nil, which blocks forever, outside Main).
func signalsOf(ctx context.Context) <-chan os.Signal {
	ch, _ := ctx.Value(signalsKey{}).(<-chan os.Signal)
	return ch
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "posagent %s (commit %s)\n", version, commit)
			return nil
		},
	}
}

// newLogger builds the slog logger the config asks for, on stderr.
func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadConfig loads and validates the config, or explains what to fix.
func (g *globals) loadConfig() (config.Config, error) {
	return config.Load(g.configPath)
}
