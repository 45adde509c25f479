package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/wallet"
)

// offerConditions screens the customers who paid at the demo merchant in the last 30 days.
const offerConditions = `{"groups":[[{"type":"visits","days":30,"min":1}]]}`

// demoOffers is the flow 3 part of `make demo`: the operator gives the merchant an API token, the
// customer opts in, the merchant's campaign (screened on the sales above) lands in the phone's inbox,
// the customer pays with a code carrying the offer, and the merchant's report counts the purchase.
// The lab has one customer, so the server runs with a minimum audience of 1 (default 50).
func demoOffers(ctx context.Context, lab *Lab, w *Wallet, out io.Writer, step func(string, ...any)) error {
	step("flow 3: restarting settlementd with --offer-min-audience 1 (one customer in this lab; the default is 50)")
	lab.StopServer()
	if err := lab.StartServer(ctx, "--offer-min-audience", "1"); err != nil {
		return err
	}
	step("the operator issues merchant %s an API token (stored hashed; shown once)", MerchantID)
	raw, err := lab.Admin(ctx, "--json", "merchant", "token", "issue", "--merchant", MerchantID, "--name", "demo backoffice")
	if err != nil {
		return err
	}
	var issued admin.MerchantTokenIssued
	if err := json.Unmarshal([]byte(raw), &issued); err != nil {
		return fmt.Errorf("token issue answer: %w", err)
	}
	tokenFile := filepath.Join(lab.Dir, "merchant.token")
	if err := os.WriteFile(tokenFile, []byte(issued.Token+"\n"), 0o600); err != nil {
		return err
	}
	merchant := func(args ...string) (string, error) {
		return run(ctx, lab.bin("settlementd"), append([]string{"merchant", "--server", lab.ServerURL, "--token-file", tokenFile}, args...)...)
	}

	step("the customer turns offers on (off by default)")
	s, err := w.run(ctx, "settings", "--offers", "on")
	if err != nil {
		return err
	}
	fmt.Fprint(out, indent(s)+"\n")

	step("the merchant screens customers who paid there in the last 30 days: 10%% off from 5.00, at most 3.00")
	s, err = merchant("campaign", "create", "--title", "Thank you for coming back", "--text", "10% off your next visit this week",
		"--conditions", offerConditions, "--percent", "10", "--min-spend-minor", "500", "--max-discount-minor", "300", "--holdout", "0", "--days", "7", "--json")
	if err != nil {
		return err
	}
	var c protocol.Campaign
	if err := json.Unmarshal([]byte(s), &c); err != nil || c.Targeted != 1 {
		return fmt.Errorf("campaign: %v: %s", err, s)
	}
	fmt.Fprintf(out, "    campaign %s: %d matched, %d got the offer (the merchant sees counts only)\n", c.ID, c.Matched, c.Targeted)

	step("the phone fetches its inbox: the signed offer is kept, then acknowledged")
	s, err = w.run(ctx, "inbox")
	if err != nil {
		return err
	}
	fmt.Fprint(out, indent(s)+"\n")
	s, err = w.run(ctx, "offers", "--json")
	if err != nil {
		return err
	}
	var held []wallet.Offer
	if err := json.Unmarshal([]byte(s), &held); err != nil || len(held) != 1 || !held[0].Verified {
		return fmt.Errorf("offers on the phone: %v: %s", err, s)
	}

	step("the customer pays 8.00 with a code carrying the offer (the POS checks the offer offline and applies its discount)")
	code, err := w.run(ctx, "code", "--raw", "--offer", held[0].OfferID)
	if err != nil {
		return err
	}
	v, err := lab.Sale(ctx, "8.00", strings.TrimSpace(code))
	if err != nil {
		return err
	}
	if v.State != agent.SaleApproved || v.Gross != 800 || v.Amount.Minor != 720 {
		return fmt.Errorf("sale with the offer: %s %s %s (gross %d, total %s)", v.State, v.Code, v.Reason, v.Gross, v.Amount)
	}
	fmt.Fprintf(out, "    sale %s: 8.00 less the offer %s = %s: %s\n", v.ID, v.OfferID, v.Amount, v.State)

	step("the merchant's conversion report (treatment vs holdout; chart with --svg)")
	s, err = merchant("campaign", "report", c.ID, "--svg", filepath.Join(lab.Dir, "campaign.svg"))
	if err != nil {
		return err
	}
	fmt.Fprint(out, indent(s)+"\n")
	s, err = merchant("campaign", "report", c.ID, "--json")
	if err != nil {
		return err
	}
	var rep admin.CampaignReport
	if err := json.Unmarshal([]byte(s), &rep); err != nil || rep.Treatment.Converters != 1 || rep.Delivered != 1 || rep.Opened != 1 || rep.Redeemed != 1 {
		return fmt.Errorf("report: %v: %s", err, s)
	}
	step("flow 3 reconciled: 1 customer targeted, the offer delivered once, 1 purchase counted, the offer redeemed once; chart in %s", filepath.Join(lab.Dir, "campaign.svg"))
	return nil
}
