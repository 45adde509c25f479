package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/service"
)

// newAdminMerchantTokenCmd issues, rotates, lists and revokes merchant API tokens.
func newAdminMerchantTokenCmd(f *adminFlags) *cobra.Command {
	group := groupCmd("token", "Merchant API tokens (stored hashed; shown once)")
	var req admin.MerchantTokenRequest
	issue := &cobra.Command{
		Use:   "issue",
		Short: "Issue a merchant API token (with --replaces: rotate, revoking the old one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.IssueMerchantToken(cmd.Context(), req)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				fmt.Fprintf(w, "token %s for merchant %s:\n%s\n(shown once: give it to the merchant as a 0600 file for --token-file)\n", out.ID, out.MerchantID, out.Token)
				if out.Replaced != "" {
					fmt.Fprintf(w, "token %s revoked\n", out.Replaced)
				}
			})
		},
	}
	issue.Flags().StringVar(&req.MerchantID, "merchant", "", "merchant id")
	issue.Flags().StringVar(&req.Name, "name", "", "a label for the token")
	issue.Flags().StringVar(&req.Replaces, "replaces", "", "rotate: revoke this token id once the new one is issued")

	var merchant string
	list := &cobra.Command{
		Use:   "list",
		Short: "List merchant tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.MerchantTokens(cmd.Context(), merchant)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				for _, t := range out.Tokens {
					state := "live"
					if !t.RevokedAt.IsZero() {
						state = "revoked " + t.RevokedAt.Format("2006-01-02 15:04")
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.MerchantID, t.Name, state)
				}
			})
		},
	}
	list.Flags().StringVar(&merchant, "merchant", "", "only this merchant's")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a merchant token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.RevokeMerchantToken(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) { fmt.Fprintf(w, "token %s of %s revoked\n", out.ID, out.MerchantID) })
		},
	}
	group.AddCommand(issue, list, revoke)
	return group
}

// addOfferFlags adds the operator's offer policy to serve.
func addOfferFlags(fl *pflag.FlagSet, p *service.OfferPolicy) {
	d := service.DefaultOfferPolicy()
	fl.IntVar(&p.CapCount, "offer-cap", d.CapCount, "offers one customer gets at most per --offer-cap-window, across merchants")
	fl.DurationVar(&p.CapWindow, "offer-cap-window", d.CapWindow, "the frequency cap's window")
	fl.IntVar(&p.MinAudience, "offer-min-audience", d.MinAudience, "campaigns matching fewer customers are refused")
	fl.IntVar(&p.DefaultHoldoutBP, "offer-holdout-bp", d.DefaultHoldoutBP, "default holdout share, basis points")
}
