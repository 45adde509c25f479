package hwcmd

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
)

// printerCtlTimeout bounds one `sim printer ctl` exchange.
const printerCtlTimeout = 5 * time.Second

// SimPrinterCommand returns `printer` (wired under `posagent sim`): run a
// virtual ESC/POS printer on a pty or TCP port, writing every cut receipt
// to --out as text, PNG and raw bytes; `printer ctl` switches a running
// one to paper out, cover open or offline.
func SimPrinterCommand() *cobra.Command {
	var (
		opts    simprinter.Options
		tcp     string
		link    string
		control string
	)
	cmd := &cobra.Command{
		Use:   "printer",
		Short: "Run a simulated ESC/POS receipt printer on a pty or TCP port",
		Long: `Runs a virtual ESC/POS receipt printer and prints where to reach it: the pty
device path (configure printer.type: serial, printer.port: PATH) or, with
--tcp, the listening address (printer.type: tcp, printer.address: HOST:PORT).

Every cut receipt is written to --out as receipt-NNNN.txt (the text, as golden
files have it), receipt-NNNN.png (QR codes redrawn so they can be scanned) and
receipt-NNNN.bin (the ESC/POS bytes).

With --control SOCKET it accepts commands on a unix socket, sent with
"posagent sim printer ctl --control SOCKET <command>":
  paper-out on|off   cover-open on|off   offline on|off   near-end on|off
  status             receipts

Profiles: ` + strings.Join(escpos.ProfileNames(), ", "),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// posagent's one signal handler (terminal/cli root) ends ctx on SIGINT or SIGTERM.
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			var (
				sim *simprinter.Printer
				err error
			)
			if tcp != "" {
				sim, err = simprinter.ListenTCP(tcp, opts, log)
			} else {
				sim, err = simprinter.NewPTY(opts, log)
			}
			if err != nil {
				return err
			}
			defer sim.Close()
			where := sim.Path()
			if tcp != "" {
				where = sim.Addr()
			}
			if link != "" {
				if tcp != "" {
					return fmt.Errorf("--link only applies to the pty printer, not --tcp")
				}
				if err := sim.Link(link); err != nil {
					return err
				}
				where = link
			}
			if control != "" {
				if err := sim.ServeControl(control); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), where)
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.OutDir, "out", "", "directory for receipt-NNNN.txt/.png/.bin (empty: keep nothing)")
	f.StringVar(&opts.Profile, "profile", "generic-80mm", "printer model to simulate")
	f.BoolVar(&opts.Silent, "silent", false, "never answer status (a unidirectional printer)")
	f.IntVar(&opts.PaperLines, "paper-lines", 0, "run out of paper after this many lines (0: endless roll)")
	f.StringVar(&tcp, "tcp", "", "listen on this TCP address (e.g. :9100) instead of a pty")
	f.StringVar(&link, "link", "", "symlink this path to the pty (e.g. /tmp/stillpay-printer)")
	f.StringVar(&control, "control", "", "unix socket for paper-out/cover-open/offline commands")
	cmd.AddCommand(simPrinterCtlCommand())
	return cmd
}

func simPrinterCtlCommand() *cobra.Command {
	var control string
	cmd := &cobra.Command{
		Use:   "ctl <command> [on|off]",
		Short: "Send a command to a running simulated printer",
		Example: `  posagent sim printer ctl --control /tmp/stillpay-printer.sock paper-out on
  posagent sim printer ctl --control /tmp/stillpay-printer.sock status`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if control == "" {
				return fmt.Errorf("--control SOCKET is required")
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, cancel := context.WithTimeout(ctx, printerCtlTimeout)
			defer cancel()
			answer, err := simprinter.Control(ctx, control, strings.Join(args, " "))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), answer)
			return nil
		},
	}
	cmd.Flags().StringVar(&control, "control", "", "the printer's control socket")
	return cmd
}
