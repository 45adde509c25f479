package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (a *app) statusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the authorization: limits, codes left, expiry (no network)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open()
			if err != nil {
				return err
			}
			st, err := w.Status()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			state := "valid"
			if st.Expired {
				state = "EXPIRED"
			}
			if st.Revoked {
				state = "REVOKED"
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "user\t%s\n", st.UserID)
			fmt.Fprintf(tw, "account\t%s\n", st.AccountID)
			fmt.Fprintf(tw, "authorization\t%s (%s)\n", st.AuthorizationID, state)
			fmt.Fprintf(tw, "cap per payment\t%s\n", st.CapPerPayment)
			fmt.Fprintf(tw, "codes left\t%d of %d\n", st.CodesLeft, st.MaxCodes)
			fmt.Fprintf(tw, "held\t%s\n", st.Hold)
			fmt.Fprintf(tw, "expires\t%s\n", st.ExpiresAt.Local().Format("2006-01-02 15:04:05"))
			fmt.Fprintf(tw, "server\t%s\n", st.ServerURL)
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
