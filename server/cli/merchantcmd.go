package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/lift"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// merchantFlags are the merchant API client's flags.
type merchantFlags struct {
	server, tokenFile string
	json              bool
}

func (f *merchantFlags) client() (*admin.Client, error) {
	if f.tokenFile == "" {
		return nil, errors.New("say where the merchant token is: --token-file FILE (or SETTLEMENTD_TOKEN_FILE); an operator issues it with: settlementd admin merchant token issue")
	}
	tok, err := admin.LoadToken(f.tokenFile)
	if err != nil {
		return nil, err
	}
	return &admin.Client{BaseURL: f.server, Token: tok}, nil
}

func (f *merchantFlags) print(w io.Writer, v any, text func(io.Writer)) error {
	return (&adminFlags{json: f.json}).print(w, v, text)
}

// newMerchantCmd is the merchants' own client: campaigns through the merchant API, with a merchant
// token (no admin rights).
func newMerchantCmd() *cobra.Command {
	f := &merchantFlags{}
	cmd := &cobra.Command{
		Use:   "merchant",
		Short: "Run offer campaigns through the merchant API (with a merchant token)",
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd)
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", defaultServerURL, "settlementd base URL")
	pf.StringVar(&f.tokenFile, "token-file", "", "merchant token file (mode 0600)")
	pf.BoolVar(&f.json, "json", false, "print JSON")
	group := groupCmd("campaign", "Screened offer campaigns (docs/offers.md)")
	group.AddCommand(newCampaignCreateCmd(f), newCampaignListCmd(f), newCampaignShowCmd(f), newCampaignReportCmd(f), newCampaignCancelCmd(f))
	cmd.AddCommand(group)
	return cmd
}

// parseBP reads a percentage with at most two decimals ("12.5") as basis points.
func parseBP(flag, s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fmt.Errorf("--%s %q: a percentage with at most two decimals, e.g. 12.5", flag, s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("--%s %q: a percentage with at most two decimals, e.g. 12.5", flag, s)
	}
	return n, nil
}

func newCampaignCreateCmd(f *merchantFlags) *cobra.Command {
	var req protocol.CampaignRequest
	var conditions, percent, holdout string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Screen opted-in customers and send them a signed offer (--dry-run: count only)",
		Long: `Screen opted-in customers with --conditions (JSON, or @FILE; docs/offers.md lists the condition
types) and send each matched customer outside the random holdout a personal, signed offer.
An audience below the operator's minimum is refused; you see counts, never customers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw := []byte(conditions)
			if strings.HasPrefix(conditions, "@") {
				b, err := os.ReadFile(conditions[1:])
				if err != nil {
					return err
				}
				raw = b
			}
			req.Conditions = json.RawMessage(raw)
			if percent != "" {
				if req.Discount.Kind == "fixed" {
					return errors.New("give --percent or --fixed-minor, not both")
				}
				bp, err := parseBP("percent", percent)
				if err != nil {
					return err
				}
				req.Discount.Kind, req.Discount.Value = "percent", bp
			}
			if holdout != "" {
				bp, err := parseBP("holdout", holdout)
				if err != nil {
					return err
				}
				h := int(bp)
				req.HoldoutBP = &h
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.CreateCampaign(cmd.Context(), req)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				if out.DryRun {
					fmt.Fprintf(w, "dry run: %d customers match; %d would get the offer, %d would be held out\n", out.Matched, out.Targeted, out.Holdout)
					return
				}
				fmt.Fprintf(w, "campaign %s sent: %d customers matched, %d got the offer, %d held out; runs until %s\n",
					out.ID, out.Matched, out.Targeted, out.Holdout, out.EndsAt.Format("2006-01-02 15:04 MST"))
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Title, "title", "", "message title")
	fl.StringVar(&req.Text, "text", "", "message text")
	fl.StringVar(&conditions, "conditions", "", `screening conditions, JSON or @FILE, e.g. {"groups":[[{"type":"visits","days":30,"min":2}]]}`)
	fl.StringVar(&percent, "percent", "", "percent off, e.g. 10 or 12.5")
	fl.Func("fixed-minor", "fixed amount off, in minor units", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		req.Discount.Kind, req.Discount.Value = "fixed", n
		return err
	})
	fl.Int64Var(&req.Discount.MinSpend, "min-spend-minor", 0, "minimum sale, in minor units")
	fl.Int64Var(&req.Discount.MaxDiscount, "max-discount-minor", 0, "largest discount, in minor units (0: no cap)")
	fl.IntVar(&req.Days, "days", protocol.DefaultCampaignDays, "validity and measurement window, days")
	fl.StringVar(&holdout, "holdout", "", "holdout share in percent (default: the operator's, 10)")
	fl.BoolVar(&req.DryRun, "dry-run", false, "screen and count only; send nothing")
	return cmd
}

func campaignLine(w io.Writer, c protocol.Campaign) {
	fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", c.ID, c.State, c.Title, c.Matched, c.Targeted, c.Holdout, c.EndsAt.Format("2006-01-02"))
}

func newCampaignListCmd(f *merchantFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your campaigns",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.Campaigns(cmd.Context())
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				fmt.Fprintf(w, "ID\tSTATE\tTITLE\tMATCHED\tTARGETED\tHOLDOUT\tENDS\n")
				for _, x := range out.Campaigns {
					campaignLine(w, x)
				}
			})
		},
	}
}

func newCampaignShowCmd(f *merchantFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one campaign",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.Campaign(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				amount := func(minor int64) string { return money.Amount{Minor: minor, Currency: out.Currency}.String() }
				off := fmt.Sprintf("%d.%02d%% off", out.Discount.Value/100, out.Discount.Value%100)
				if out.Discount.Kind == "fixed" {
					off = amount(out.Discount.Value) + " off"
				}
				maxOff := "no cap"
				if out.Discount.MaxDiscount > 0 { // 0 means no cap beyond the sale amount (shared/offer)
					maxOff = amount(out.Discount.MaxDiscount)
				}
				fmt.Fprintf(w, "campaign %s (%s): %q\n  %s\n  conditions %s\n  discount %s (min spend %s, max %s)\n  matched %d, targeted %d, holdout %d (%d bp)\n  %s .. %s\n",
					out.ID, out.State, out.Title, out.Text, out.Conditions, off, amount(out.Discount.MinSpend),
					maxOff, out.Matched, out.Targeted, out.Holdout, out.HoldoutBP,
					out.StartsAt.Format("2006-01-02 15:04"), out.EndsAt.Format("2006-01-02 15:04"))
			})
		},
	}
}

func newCampaignCancelCmd(f *merchantFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a campaign: its offers are no longer honoured online",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			out, err := c.CancelCampaign(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) { fmt.Fprintf(w, "campaign %s %s\n", out.ID, out.State) })
		},
	}
}

func newCampaignReportCmd(f *merchantFlags) *cobra.Command {
	var svgPath string
	cmd := &cobra.Command{
		Use:   "report ID",
		Short: "Conversion against the holdout: rates, lift with 95% intervals, incremental revenue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			r, err := c.CampaignReport(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if svgPath != "" {
				svg, err := c.CampaignChart(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
					return err
				}
			}
			return f.print(cmd.OutOrStdout(), r, func(w io.Writer) { printReport(w, r) })
		},
	}
	cmd.Flags().StringVar(&svgPath, "svg", "", "also write the conversion chart (SVG) to this file")
	return cmd
}

func printReport(w io.Writer, r admin.CampaignReport) {
	fmt.Fprintf(w, "campaign %s %q (%s), measured %s .. %s\n", r.Campaign.ID, r.Campaign.Title, r.Campaign.State,
		r.Campaign.StartsAt.Format("2006-01-02 15:04"), r.WindowEnd.Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "  targeted %d, holdout %d, delivered %d, opened %d, acknowledged %d, redeemed %d\n",
		r.Targeted, r.HeldOut, r.Delivered, r.Opened, r.Acked, r.Redeemed)
	for _, g := range []struct {
		name string
		g    lift.Group
	}{{"treatment", r.Treatment}, {"holdout", r.Holdout}} {
		fmt.Fprintf(w, "  %-9s %d members, %d converted (%.2f%%, 95%% CI %.2f..%.2f%%), %d purchases, revenue %s\n",
			g.name, g.g.Members, g.g.Converters, 100*g.g.Rate, 100*g.g.RateLow, 100*g.g.RateHigh, g.g.Purchases,
			money.Amount{Minor: g.g.Revenue, Currency: r.Campaign.Currency})
	}
	if a := r.AbsoluteLift; a.Defined {
		fmt.Fprintf(w, "  absolute lift %+.2f points, 95%% CI [%+.2f, %+.2f] (%s)\n", 100*a.Estimate, 100*a.Low, 100*a.High, a.Method)
	} else {
		fmt.Fprintf(w, "  absolute lift: not defined (an empty group)\n")
	}
	if rl := r.RelativeLift; rl.Defined {
		fmt.Fprintf(w, "  relative lift %+.1f%%, 95%% CI [%+.1f%%, %+.1f%%] (%s)\n", 100*rl.Estimate, 100*rl.Low, 100*rl.High, rl.Method)
	}
	fmt.Fprintf(w, "  incremental revenue %s\n", money.Amount{Minor: r.IncrementalRevenue, Currency: r.Campaign.Currency})
}
