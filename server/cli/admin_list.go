package cli

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/store"
)

// errNoSubcommand is returned by a command group run without a known subcommand.
var errNoSubcommand = errors.New("a subcommand is required")

// groupCmd is a command that only holds subcommands: run alone or with an unknown subcommand it
// prints its usage and fails (cobra would print the help and exit 0).
func groupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Usage()
			if len(args) > 0 {
				return fmt.Errorf("%w: unknown subcommand %q for %q", errNoSubcommand, args[0], cmd.CommandPath())
			}
			return fmt.Errorf("%w for %q", errNoSubcommand, cmd.CommandPath())
		},
	}
}

// pageFlags adds --limit and --after to a listing.
func pageFlags(cmd *cobra.Command, lf *admin.ListFilter) {
	cmd.Flags().IntVar(&lf.Limit, "limit", 0, fmt.Sprintf("page size (default %d, at most %d)", store.DefaultPageSize, store.MaxPageSize))
	cmd.Flags().StringVar(&lf.AfterID, "after", "", "the next page: entries after this id (the last one shown)")
}

// nextPage tells a person how to get the next page when this one is full.
func nextPage(w io.Writer, n int, lf admin.ListFilter, lastID string) {
	limit := lf.Limit
	if limit == 0 {
		limit = store.DefaultPageSize
	}
	if n > 0 && n >= limit {
		fmt.Fprintf(w, "(more may follow: --after %s)\n", lastID)
	}
}

func newAdminListMerchantsCmd(f *adminFlags) *cobra.Command {
	var lf admin.ListFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List merchants by id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			list, err := c.ListMerchants(cmd.Context(), lf)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), map[string]any{"merchants": list}, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "MERCHANT\tNAME\tCURRENCY\tACCOUNT\tMCC\tCREATED")
				for _, m := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, m.Currency, m.AccountID, m.MCC, m.CreatedAt.Format("2006-01-02 15:04"))
				}
				tw.Flush()
				if len(list) > 0 {
					nextPage(w, len(list), lf, list[len(list)-1].ID)
				}
			})
		},
	}
	pageFlags(cmd, &lf)
	return cmd
}

func newAdminListTerminalsCmd(f *adminFlags) *cobra.Command {
	var lf admin.ListFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List terminals by id, with their state and offline limits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			list, err := c.ListTerminals(cmd.Context(), lf)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), map[string]any{"terminals": list}, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TERMINAL\tMERCHANT\tNAME\tSTATE\tHOST\tOFFLINE LIMITS\tENROLLED")
				for _, t := range list {
					enrolled := ""
					if !t.EnrolledAt.IsZero() {
						enrolled = t.EnrolledAt.Format("2006-01-02 15:04")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.MerchantID, t.Name, t.State, t.Hostname, t.Limits.Text(), enrolled)
				}
				tw.Flush()
				if len(list) > 0 {
					nextPage(w, len(list), lf, list[len(list)-1].ID)
				}
			})
		},
	}
	cmd.Flags().StringVar(&lf.MerchantID, "merchant", "", "only this merchant's")
	pageFlags(cmd, &lf)
	return cmd
}

func newAdminListUsersCmd(f *adminFlags) *cobra.Command {
	var lf admin.ListFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List wallet users by id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			list, err := c.ListUsers(cmd.Context(), lf)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), map[string]any{"users": list}, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USER\tNAME\tCREATED")
				for _, u := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", u.UserID, u.Name, u.CreatedAt.Format("2006-01-02 15:04"))
				}
				tw.Flush()
				if len(list) > 0 {
					nextPage(w, len(list), lf, list[len(list)-1].UserID)
				}
			})
		},
	}
	pageFlags(cmd, &lf)
	return cmd
}
