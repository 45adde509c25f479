package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printOffers(w io.Writer, offers []wallet.Offer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OFFER\tMERCHANT\tTITLE\tDISCOUNT\tVALID UNTIL\tVERIFIED\n")
	for _, o := range offers {
		disc := fmt.Sprintf("%d.%02d%%", o.Value/100, o.Value%100)
		if o.Kind == "fixed" {
			disc = money.Amount{Minor: o.Value, Currency: o.Currency}.String() + " off"
		}
		if o.MinSpend > 0 {
			disc += " (min " + money.Amount{Minor: o.MinSpend, Currency: o.Currency}.String() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", o.OfferID, o.MerchantID, o.Title, disc, o.ValidUntil.Local().Format("2006-01-02 15:04"), o.Verified)
	}
	return tw.Flush()
}

func (a *app) inboxCommand() *cobra.Command {
	var asJSON bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "Fetch new offer messages (long-poll with --wait), keep them, acknowledge them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open()
			if err != nil {
				return err
			}
			fresh, err := w.Inbox(cmd.Context(), wait)
			if err != nil {
				return err
			}
			if asJSON {
				if fresh == nil {
					fresh = []wallet.Offer{}
				}
				return printJSON(a.stdout, fresh)
			}
			if len(fresh) == 0 {
				fmt.Fprintln(a.stdout, "no new messages")
				return nil
			}
			var ids []string
			for _, o := range fresh {
				fmt.Fprintf(a.stdout, "%s — %s\n  %s\n", o.MerchantID, o.Title, o.Text)
				ids = append(ids, o.MessageID)
			}
			if err := printOffers(a.stdout, fresh); err != nil {
				return err
			}
			// Shown on screen: the customer opened them (with --json a program decides that).
			return w.MarkOpened(cmd.Context(), ids)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for a message (at most "+protocol.MaxMessagesWait.String()+")")
	return cmd
}

func (a *app) offersCommand() *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "offers",
		Short: "List the offers the wallet holds (no network); pay with one: wallet code --offer ID",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open()
			if err != nil {
				return err
			}
			offers, err := w.Offers(all)
			if err != nil {
				return err
			}
			if asJSON {
				if offers == nil {
					offers = []wallet.Offer{}
				}
				return printJSON(a.stdout, offers)
			}
			return printOffers(a.stdout, offers)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "include expired offers")
	return cmd
}

func (a *app) settingsCommand() *cobra.Command {
	var asJSON bool
	var offers string
	var c wallet.SettingsChange
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Offer settings: --offers on|off (off by default), --opt-out / --opt-in MERCHANT",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch offers {
			case "":
			case "on", "off":
				v := offers == "on"
				c.Offers = &v
			default:
				return fmt.Errorf("--offers %q: on or off", offers)
			}
			w, err := a.open()
			if err != nil {
				return err
			}
			var st protocol.OfferSettings
			if c.Offers == nil && len(c.OptOut) == 0 && len(c.OptIn) == 0 {
				st, err = w.OfferSettings(cmd.Context())
			} else {
				st, err = w.ChangeOfferSettings(cmd.Context(), c)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, st)
			}
			state := "off"
			if st.Offers {
				state = "on"
			}
			fmt.Fprintf(a.stdout, "offers %s; opted out of: %v\n", state, st.OptOuts)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&offers, "offers", "", "on or off")
	cmd.Flags().StringArrayVar(&c.OptOut, "opt-out", nil, "never get offers from this merchant (repeat for more)")
	cmd.Flags().StringArrayVar(&c.OptIn, "opt-in", nil, "undo an opt-out")
	return cmd
}
