package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/wallet"
)

// errNotPaid ends `wallet pay` with exit status 1 after it said why nothing was paid.
var errNotPaid = errors.New("nothing was paid")

// maxAnswerLine bounds what the confirmation prompt reads.
const maxAnswerLine = 256

// payView is the --json output of `wallet pay`.
type payView struct {
	Stillpay bool            `json:"stillpay"`
	Paid     bool            `json:"paid"`
	Order    *orderView      `json:"order,omitempty"`
	Other    *emvqr.Summary  `json:"other,omitempty"` // another scheme's code: shown, never paid
	Payment  *wallet.Payment `json:"payment,omitempty"`
}

// orderView is what the server's signature vouches for, as the customer is shown it.
type orderView struct {
	OrderID      string       `json:"order_id"`
	Static       bool         `json:"static"`
	MerchantID   string       `json:"merchant_id"`
	MerchantName string       `json:"merchant_name"`
	City         string       `json:"city"`
	Country      string       `json:"country"`
	TerminalID   string       `json:"terminal_id"`
	Amount       money.Amount `json:"amount"`
	Reference    string       `json:"reference,omitempty"`
	ExpiresAt    string       `json:"expires_at,omitempty"`
	KeyID        string       `json:"key_id"`
}

func (a *app) payCommand() *cobra.Command {
	var image, text, account, amountText, paymentID string
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "pay (--image FILE | --text PAYLOAD)",
		Short: "Pay a merchant-presented order: read its QR, check the server's signature, confirm",
		Long: `pay reads an EMVCo merchant-presented QR code (a camera image with --image, decoded with
gozxing like posagent's camera, or its text with --text), checks the settlement server's signature
with the server keys this wallet trusts, shows the merchant, amount, reference and expiry, asks
(unless --yes), and sends the confirmation signed with this device's key. A static sticker has no
amount: give it with --amount. Another scheme's code (Pix, PromptPay, SGQR, BharatQR, QRIS,
UnionPay...) is shown as "not a stillpay order" and never paid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (image == "") == (text == "") {
				return errors.New("give exactly one of --image FILE and --text PAYLOAD")
			}
			if image != "" {
				var err error
				if text, err = a.decodeImage(image); err != nil {
					return fmt.Errorf("--image %s: %w", image, err)
				}
			}
			w, err := a.open()
			if err != nil {
				return err
			}
			s, err := w.ReadOrder(cmd.Context(), text)
			var other *order.NotStillpayError
			if errors.As(err, &other) {
				return a.showOther(other.Summary, asJSON)
			}
			if err != nil {
				return err
			}
			view := viewOf(s)
			opt := wallet.PayOptions{AccountID: account, PaymentID: paymentID}
			if amountText != "" {
				if opt.Amount, err = money.Parse(amountText, s.Amount.Currency, money.ParseOptions{}); err != nil {
					return fmt.Errorf("--amount: %w", err)
				}
			}
			if s.Static && amountText == "" {
				return fmt.Errorf("%q is a static sticker without an amount: give it with --amount (in %s)", s.MerchantName, s.Amount.Currency)
			}
			if !asJSON {
				a.showOrder(view, opt.Amount)
			}
			if !yes {
				ok, err := a.ask(fmt.Sprintf("Pay %s to %s? [y/N] ", payAmount(s, opt.Amount), s.MerchantName))
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintln(a.stdout, "not paid")
					return errNotPaid
				}
			}
			p, err := w.PayOrder(cmd.Context(), s, text, opt)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, payView{Stillpay: true, Paid: true, Order: &view, Payment: &p})
			}
			fmt.Fprintf(a.stdout, "paid %s to %s (%s), approval %s, order %s\n", p.Approval.Amount, s.MerchantName,
				s.MerchantID, p.Approval.ApprovalCode, p.Order.OrderID)
			return nil
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "a photo or screenshot of the QR code (PNG, JPEG, GIF)")
	cmd.Flags().StringVar(&text, "text", "", "the QR code's text")
	cmd.Flags().StringVar(&account, "account", "", "account to pay from (default: the authorization's)")
	cmd.Flags().StringVar(&amountText, "amount", "", "the amount to pay a static sticker, e.g. 4.80")
	cmd.Flags().StringVar(&paymentID, "payment-id", "", "a static sticker payment's idempotency id (default: random; reuse it to retry)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "pay without asking")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (implies no display before the question)")
	return cmd
}

func viewOf(s order.Signed) orderView {
	v := orderView{OrderID: s.ID, Static: s.Static, MerchantID: s.MerchantID, MerchantName: s.MerchantName, City: s.City,
		Country: s.Country, TerminalID: s.TerminalID, Amount: s.Amount, Reference: s.Reference, KeyID: s.KeyID}
	if !s.ExpiresAt.IsZero() {
		v.ExpiresAt = s.ExpiresAt.Format("2006-01-02T15:04:05Z07:00")
	}
	return v
}

func payAmount(s order.Signed, entered money.Amount) string {
	if s.Static {
		return entered.String()
	}
	return s.Amount.String()
}

// showOrder prints what the server's signature vouches for, before the customer is asked.
func (a *app) showOrder(v orderView, entered money.Amount) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "merchant\t%s (%s), %s %s\n", v.MerchantName, v.MerchantID, v.City, v.Country)
	if v.Static {
		fmt.Fprintf(tw, "amount\t%s (entered by you; static sticker of lane %s)\n", entered, v.TerminalID)
	} else {
		fmt.Fprintf(tw, "amount\t%s\n", v.Amount)
	}
	if v.Reference != "" {
		fmt.Fprintf(tw, "reference\t%s\n", v.Reference)
	}
	if v.ExpiresAt != "" {
		fmt.Fprintf(tw, "expires\t%s\n", v.ExpiresAt)
	}
	fmt.Fprintf(tw, "order\t%s, lane %s, signed by server key %s\n", v.OrderID, v.TerminalID, v.KeyID)
	tw.Flush()
}

// showOther prints another scheme's code and refuses to pay it.
func (a *app) showOther(s emvqr.Summary, asJSON bool) error {
	if asJSON {
		if err := writeJSON(a.stdout, payView{Other: &s}); err != nil {
			return err
		}
		return errNotPaid
	}
	amount := "entered by the payer"
	if s.Amount != "" {
		amount = s.Amount + " " + s.Currency
	}
	fmt.Fprintf(a.stdout, "not a stillpay order: %s, %s %s, amount %s (scheme %s)\n", s.MerchantName, s.MerchantCity,
		s.Country, amount, strings.Join(s.Schemes, ", "))
	return errNotPaid
}

// ask prints question on stderr and reads a yes/no answer from stdin.
func (a *app) ask(question string) (bool, error) {
	fmt.Fprint(a.stderr, question)
	line, err := bufio.NewReader(io.LimitReader(a.stdin, maxAnswerLine)).ReadString('\n')
	if err != nil && line == "" {
		return false, errors.New("no answer on standard input (use --yes to pay without asking)")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
