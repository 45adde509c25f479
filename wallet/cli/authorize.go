package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/wallet"
)

func (a *app) authorizeCommand() *cobra.Command {
	var account, capText, currency string
	var codes int
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "authorize",
		Short: "Get an offline authorization: a signed credential and the one-time-code secret",
		Long: `authorize asks the server to hold cap × codes on the account and to issue an offline
credential for this device. The answer is stored under --home (mode 0600); it replaces any
earlier authorization.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			capAmount, err := money.Parse(capText, strings.ToUpper(currency), money.ParseOptions{})
			if err != nil {
				return fmt.Errorf("--cap: %w", err)
			}
			w, err := a.open()
			if err != nil {
				return err
			}
			st, err := w.Authorize(cmd.Context(), wallet.AuthorizeOptions{AccountID: account, CapPerPayment: capAmount, Codes: codes, TTL: ttl})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "authorized %s: %d codes of at most %s, %s held, until %s\n",
				st.AuthorizationID, st.MaxCodes, st.CapPerPayment, st.Hold, st.ExpiresAt.Local().Format("2006-01-02 15:04"))
			return nil
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "funding account id")
	cmd.Flags().StringVar(&capText, "cap", "", "most one offline payment may be, e.g. 20.00")
	cmd.Flags().StringVar(&currency, "currency", "EUR", "ISO 4217 currency of --cap")
	cmd.Flags().IntVar(&codes, "codes", 10, "number of offline codes")
	cmd.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "wanted lifetime (the server may shorten it)")
	cmd.MarkFlagRequired("account")
	cmd.MarkFlagRequired("cap")
	return cmd
}
