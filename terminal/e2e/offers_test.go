package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/wallet"
)

// TestOfferRedeemedAtAnOfflineTerminal: flow 3's redemption with the real settlementd, wallet and
// posagent. A campaign reaches the wallet's inbox; the customer pays at the terminal while the server
// is down with a code carrying the offer; posagent checks the offer offline, charges the discounted
// amount and prints the discount; a second use at the terminal is refused; once the server is back
// the queue is forwarded, the payment settles at the discounted amount, a second use at another
// terminal is refused by the server, and the report counts one redemption.
func TestOfferRedeemedAtAnOfflineTerminal(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "50.00", 20)
	if err != nil {
		t.Fatal(err)
	}
	if v := mustSale(t, lab, "12.00", mustCode(t, w)); v.State != agent.SaleApproved {
		t.Fatalf("first visit: %+v", v)
	}
	lab.StopServer()
	if err := lab.StartServer(ctx, "--offer-min-audience", "1"); err != nil {
		t.Fatal(err)
	}
	raw, err := lab.Admin(ctx, "--json", "merchant", "token", "issue", "--merchant", demo.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	var issued admin.MerchantTokenIssued
	if err := json.Unmarshal([]byte(raw), &issued); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "m.token")
	if err := os.WriteFile(tokenFile, []byte(issued.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	merchant := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(binDir, "settlementd"), append([]string{"merchant", "--server", lab.ServerURL,
			"--token-file", tokenFile, "--json"}, args...)...).Output()
		if err != nil {
			t.Fatalf("settlementd merchant %v: %v", args, err)
		}
		return string(out)
	}
	if _, err := w.Run(ctx, "settings", "--offers", "on"); err != nil {
		t.Fatal(err)
	}
	var c protocol.Campaign
	if err := json.Unmarshal([]byte(merchant("campaign", "create", "--title", "Welcome back", "--text", "10% off",
		"--conditions", `{"groups":[[{"type":"visits","days":30,"min":1}]]}`, "--percent", "10", "--min-spend-minor", "500",
		"--max-discount-minor", "300", "--holdout", "0", "--days", "7")), &c); err != nil || c.Targeted != 1 {
		t.Fatalf("campaign: %+v %v", c, err)
	}
	if _, err := w.Run(ctx, "inbox"); err != nil {
		t.Fatal(err)
	}
	out, err := w.Run(ctx, "offers", "--json")
	var held []wallet.Offer
	if err != nil || json.Unmarshal([]byte(out), &held) != nil || len(held) != 1 {
		t.Fatalf("offers: %s %v", out, err)
	}
	offerCode := func() string {
		t.Helper()
		code, err := w.Run(ctx, "code", "--raw", "--offer", held[0].OfferID)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(code)
	}

	lab.StopServer()
	v := mustSale(t, lab, "20.00", offerCode())
	if v.State != agent.SaleApproved || !v.Offline || v.Amount != (money.Amount{Minor: 1800, Currency: "EUR"}) || v.Gross != 2000 || v.OfferID == "" {
		t.Fatalf("offline sale with the offer: %+v", v)
	}
	rs := lab.Printer.Receipts()
	if text := rs[len(rs)-1].Text; !strings.Contains(text, "Subtotal") || !strings.Contains(text, "Offer "+v.OfferID) ||
		!strings.Contains(text, "-€2.00") || !strings.Contains(text, "€18.00") {
		t.Errorf("receipt:\n%s", text)
	}
	if again := mustSale(t, lab, "20.00", offerCode()); again.State != agent.SaleDeclined || again.Code != protocol.CodeOfferAlreadyUsed {
		t.Errorf("second use at the terminal: %+v", again)
	}

	if err := lab.StartServer(ctx, "--offer-min-audience", "1"); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if it, err := lab.API.QueueItem(ctx, v.ID); err != nil || it.State != "settled" {
		t.Fatalf("after the drain: %+v %v", it, err)
	}
	txns, err := lab.Transactions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, tx := range txns {
		if tx.TerminalTxnID == v.ID {
			found++
			if tx.Status != "approved" || !tx.Offline || tx.Amount.Minor != 1800 {
				t.Errorf("settled: %+v, want an approved offline payment of 18.00", tx)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d server transactions for %s, want 1", found, v.ID)
	}
	// The same offer at another terminal, online: the server refuses it.
	other, err := lab.AddTerminal(ctx, "T-DEMO-02")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	second, err := other.Sale(ctx, "20.00", offerCode())
	if err != nil || second.State != agent.SaleDeclined || second.Code != protocol.CodeOfferAlreadyUsed || second.Offline {
		t.Errorf("second use at another terminal: %+v %v, want declined by the server %s", second, err, protocol.CodeOfferAlreadyUsed)
	}
	var rep admin.CampaignReport
	if err := json.Unmarshal([]byte(merchant("campaign", "report", c.ID)), &rep); err != nil || rep.Redeemed != 1 {
		t.Errorf("report: redeemed %d %v", rep.Redeemed, err)
	}
}
