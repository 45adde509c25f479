package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// terminalLimitFlags are the offline limits of `terminal add`, as a person types them: decimal
// amounts in --currency and Go durations.
type terminalLimitFlags struct {
	floor, total, currency string
	count                  int
	age                    time.Duration
}

func (l *terminalLimitFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&l.floor, "floor-limit", "", "largest single offline approval, e.g. 50.00 (default: server policy)")
	fl.IntVar(&l.count, "offline-max-count", 0, "offline approvals pending at once (default: server policy)")
	fl.StringVar(&l.total, "offline-max", "", "total of pending offline approvals, e.g. 1000.00 (default: server policy)")
	fl.DurationVar(&l.age, "offline-max-age", 0, "oldest pending offline approval, e.g. 24h (default: server policy)")
	fl.StringVar(&l.currency, "currency", "EUR", "currency of the amounts: the merchant's")
}

// limits returns the limits to send, or nil when no limit flag was given (the server's policy).
func (l *terminalLimitFlags) limits(cmd *cobra.Command) (*protocol.TerminalLimits, error) {
	fl := cmd.Flags()
	if !fl.Changed("floor-limit") && !fl.Changed("offline-max-count") && !fl.Changed("offline-max") && !fl.Changed("offline-max-age") {
		return nil, nil
	}
	out := &protocol.TerminalLimits{Currency: l.currency, OfflineMaxCount: l.count, OfflineMaxAgeSecs: int64(l.age / time.Second)}
	for _, f := range []struct {
		name, text string
		dst        *int64
	}{{"floor-limit", l.floor, &out.FloorLimitMinor}, {"offline-max", l.total, &out.OfflineMaxMinor}} {
		if f.text == "" {
			continue
		}
		a, err := money.Parse(f.text, l.currency, money.ParseOptions{AllowZero: true})
		if err != nil {
			return nil, fmt.Errorf("--%s %q: %w", f.name, f.text, err)
		}
		*f.dst = a.Minor
	}
	if l.age < 0 || (l.age > 0 && l.age < time.Second) {
		return nil, fmt.Errorf("--offline-max-age %s: give a whole number of seconds or more, e.g. 24h", l.age)
	}
	return out, nil
}

// printEnrollCode writes a new enrollment code: only the code with --code-only (for scripts), else
// with what to do with it.
func printEnrollCode(w io.Writer, t admin.TerminalCreated, codeOnly bool, what string) {
	if codeOnly {
		fmt.Fprintln(w, t.EnrollCode)
		return
	}
	fmt.Fprintf(w, "%s\nenrollment code: %s\n(shown once; valid until %s; on the terminal run: posagent provision --enroll-code CODE)\n",
		what, t.EnrollCode, t.EnrollExpiresAt.Format("2006-01-02 15:04 MST"))
}

func newAdminTerminalCmd(f *adminFlags) *cobra.Command {
	group := groupCmd("terminal", "Terminals")
	var req admin.TerminalRequest
	var lim terminalLimitFlags
	var codeOnly bool
	add := &cobra.Command{
		Use:   "add --id ID --merchant ID",
		Short: "Add a terminal; prints its one-time enrollment code",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if req.Limits, err = lim.limits(cmd); err != nil {
				return err
			}
			t, err := c.AddTerminal(cmd.Context(), req)
			if err != nil {
				return err
			}
			if codeOnly && !f.json {
				printEnrollCode(cmd.OutOrStdout(), t, true, "")
				return nil
			}
			return f.print(cmd.OutOrStdout(), t, func(w io.Writer) {
				printEnrollCode(w, t, false, fmt.Sprintf("terminal %s added for merchant %s", t.TerminalID, t.MerchantID))
			})
		},
	}
	fl := add.Flags()
	fl.StringVar(&req.TerminalID, "id", "", "terminal id (required)")
	fl.StringVar(&req.MerchantID, "merchant", "", "merchant id (required)")
	fl.StringVar(&req.Name, "name", "", "terminal name (e.g. till 2)")
	fl.BoolVar(&codeOnly, "code-only", false, "print only the enrollment code (for scripts)")
	lim.register(add)
	add.MarkFlagRequired("id")
	add.MarkFlagRequired("merchant")

	var reissueCodeOnly bool
	enroll := &cobra.Command{
		Use:   "enroll-code ID",
		Short: "Issue a new one-time enrollment code for an existing terminal (box replaced, re-keying)",
		Long: `Issues a new one-time enrollment code for terminal ID; the previous code stops working. The
terminal's current key keeps working until a box enrolls with the new code (posagent provision
--enroll-code CODE, with --force on a box that has an identity); from then on the server refuses
the old key. Forward or export (posagent queue export) the old box's queue before that.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			t, err := c.ReissueEnrollCode(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if reissueCodeOnly && !f.json {
				printEnrollCode(cmd.OutOrStdout(), t, true, "")
				return nil
			}
			return f.print(cmd.OutOrStdout(), t, func(w io.Writer) {
				printEnrollCode(w, t, false, fmt.Sprintf("new enrollment code for terminal %s of merchant %s; its current key works until the code is used", t.TerminalID, t.MerchantID))
			})
		},
	}
	enroll.Flags().BoolVar(&reissueCodeOnly, "code-only", false, "print only the enrollment code (for scripts)")
	group.AddCommand(add, enroll, newAdminListTerminalsCmd(f))
	return group
}
