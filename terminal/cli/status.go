package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func statusCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running agent's health: queue, forwarding, printer, scanner",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			fmt.Fprintf(out, "terminal   %s (%s), posagent %s, up %s\n", st.TerminalID, st.MerchantName, st.Version, time.Since(st.Started).Round(time.Second))
			oldest := "-"
			if !st.OldestQueued.IsZero() {
				oldest = time.Since(st.OldestQueued).Round(time.Second).String() + " old"
			}
			fmt.Fprintf(out, "queue      %d waiting to be forwarded (oldest %s); offline approvals pending: %d, total %d minor units\n",
				st.QueueDepth, oldest, st.Offline.Count, st.Offline.Total)
			fw := "ok"
			if st.Forwarder.Failing > 0 {
				fw = fmt.Sprintf("failing (%d in a row): %s", st.Forwarder.Failing, st.Forwarder.LastError)
			}
			fmt.Fprintf(out, "forwarder  %s; %d forwarded, %d errors\n", fw, st.Forwarder.Forwarded, st.Forwarder.Errors)
			if !st.OfflineSince.IsZero() {
				fmt.Fprintf(out, "sales      OFFLINE for %s: the server did not answer; sales are approved offline at once until it answers\n", time.Since(st.OfflineSince).Round(time.Second))
			}
			fmt.Fprintf(out, "printer    %s\nscanner    %s\n", st.Printer, st.Scanner)
			if st.CurrentSale != "" {
				fmt.Fprintf(out, "sale       %s in progress\n", st.CurrentSale)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
