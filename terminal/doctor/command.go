package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// DefaultConfigPath is used when the root command has no --config flag.
const DefaultConfigPath = "/etc/posagent/posagent.yaml"

// ErrFailed is returned by the command when at least one check failed, so the process exits non-zero.
var ErrFailed = errors.New("doctor: checks failed")

// Command returns `posagent doctor`. It reads the root command's --config flag when there is one,
// and version is printed on the test page.
func Command(version string) *cobra.Command {
	opt := Options{Version: version}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor [--scan] [--print] [--json]",
		Short: "Check config, identity, server, clock, scanner, printer, queue and disk, one line each",
		Long: `Check everything a lane needs, one line per check with what to do when something is wrong:
  ` + strings.Join(Names(), ", ") + `
--scan waits for a test scan; --print prints a test page with a QR code. When the agent is running
it holds the scanner, printer and queue, and the doctor reads their state from it instead.
The exit status is non-zero when any check fails (warnings do not fail).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt.ConfigPath = DefaultConfigPath
			if f := cmd.Flag("config"); f != nil && f.Value.String() != "" {
				opt.ConfigPath = f.Value.String()
			}
			opt.Prompt = cmd.ErrOrStderr()
			opt.Logger = slog.New(slog.DiscardHandler)
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			report := Run(ctx, opt)
			out := cmd.OutOrStdout()
			var err error
			if asJSON {
				err = report.WriteJSON(out)
			} else {
				err = report.WriteText(out)
			}
			if err != nil {
				return err
			}
			if !report.OK {
				cmd.SilenceErrors = true // the report already said what failed
				return fmt.Errorf("%w: %s", ErrFailed, strings.Join(report.Failed(), ", "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opt.Scan, "scan", false, "wait for a test scan from the scanner")
	f.DurationVar(&opt.ScanTimeout, "scan-timeout", DefaultScanTimeout, "how long --scan waits")
	f.BoolVar(&opt.Print, "print", false, "print a test page with a QR code")
	f.BoolVar(&asJSON, "json", false, "write the report as JSON")
	f.StringVar(&opt.CAFile, "ca-file", "", "PEM file of the CA that signed the server's certificate (default: server.ca_file of the config)")
	return cmd
}
