package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet"
)

// merchantCmd runs `settlementd merchant --json ARGS` with a merchant token file and returns stdout,
// stderr and the exit status.
func merchantCmd(t *testing.T, url, tokenFile string, args ...string) (string, string, int) {
	t.Helper()
	full := append([]string{"merchant", "--server", url, "--token-file", tokenFile, "--json"}, args...)
	cmd := exec.Command(bins.Path("settlementd"), full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// TestOffersWithTheRealBinaries: flow 3 through settlementd and wallet as processes. The operator
// issues a merchant token; a customer opts in and pays; the merchant's campaign (screened on that
// payment) lands in the wallet's inbox once, with a verified offer; a purchase in the window shows in
// the report; cancelling and revoking work. (The operator lowers the minimum audience to 1 for a
// one-customer test; the default 50 is tested in server/api.)
func TestOffersWithTheRealBinaries(t *testing.T) {
	ctx := context.Background()
	srv := &server{Process: loadtest.StartT(t, loadtest.Config{Binary: bins.Path("settlementd"), Data: t.TempDir(),
		Extra: []string{"--offer-min-audience", "1"}}), t: t}
	tc := srv.shop()
	term, _, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	var issued admin.MerchantTokenIssued
	srv.adminJSON(&issued, "merchant", "token", "issue", "--merchant", "M1", "--name", "backoffice")
	tokenFile := filepath.Join(t.TempDir(), "m1.token")
	if err := os.WriteFile(tokenFile, []byte(issued.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	walletCmd(t, home, "login", "--server", srv.URL, "--user", "alice")
	walletCmd(t, home, "authorize", "--account", "acc-alice", "--cap", "20.00", "--codes", "5", "--ttl", "1h")
	var st protocol.OfferSettings
	if err := json.Unmarshal([]byte(walletCmd(t, home, "settings", "--offers", "on", "--json")), &st); err != nil || !st.Offers {
		t.Fatalf("settings: %+v %v", st, err)
	}
	pay := func(txn string, minor int64, codeArgs ...string) {
		t.Helper()
		code := strings.TrimSpace(walletCmd(t, home, append([]string{"code", "--raw"}, codeArgs...)...))
		ans, err := term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{
			TerminalTxnID: txn, Amount: money.Amount{Minor: minor, Currency: "EUR"}, Payload: code})
		if err != nil || ans.Status != http.StatusOK {
			t.Fatalf("payment %s: %v %d %s", txn, err, ans.Status, ans.Body)
		}
	}
	pay("T1-000001", 1200)

	create := []string{"campaign", "create", "--title", "Coffee on us", "--text", "10% off this week",
		"--conditions", `{"groups":[[{"type":"visits","days":30,"min":1}]]}`, "--percent", "10", "--min-spend-minor", "500", "--holdout", "0", "--days", "7"}
	out, stderr, code := merchantCmd(t, srv.URL, tokenFile, create...)
	if code != 0 {
		t.Fatalf("campaign create: %d %s", code, stderr)
	}
	var c protocol.Campaign
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Targeted != 1 || c.Matched != 1 || c.ID == "" {
		t.Fatalf("campaign: %s %v", out, err)
	}
	if _, stderr, code := merchantCmd(t, srv.URL, tokenFile, "campaign", "create", "--title", "x", "--percent", "10",
		"--conditions", `{"groups":[[{"type":"visits","days":-1,"min":1}]]}`); code == 0 || !strings.Contains(stderr, "invalid_conditions") {
		t.Errorf("negative window: exit %d, %s", code, stderr)
	}

	var fresh []wallet.Offer
	if err := json.Unmarshal([]byte(walletCmd(t, home, "inbox", "--json")), &fresh); err != nil || len(fresh) != 1 || !fresh[0].Verified || fresh[0].MerchantID != "M1" {
		t.Fatalf("inbox: %+v %v", fresh, err)
	}
	if err := json.Unmarshal([]byte(walletCmd(t, home, "inbox", "--json")), &fresh); err != nil || len(fresh) != 0 {
		t.Fatalf("second inbox (acknowledged): %+v %v", fresh, err)
	}
	var held []wallet.Offer
	if err := json.Unmarshal([]byte(walletCmd(t, home, "offers", "--json")), &held); err != nil || len(held) != 1 || held[0].Value != 1000 {
		t.Fatalf("offers: %+v %v", held, err)
	}

	// A purchase in the campaign window, its code carrying the offer (payload v2's offer field), from a
	// terminal that does not apply offers (no gross): the sale settles at its full amount and redeems
	// nothing (redemption: terminal/e2e TestOfferRedeemedAtAnOfflineTerminal).
	pay("T1-000002", 900, "--offer", held[0].OfferID)
	svg := filepath.Join(t.TempDir(), "chart.svg")
	out, stderr, code = merchantCmd(t, srv.URL, tokenFile, "campaign", "report", c.ID, "--svg", svg)
	if code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	var rep admin.CampaignReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Targeted != 1 || rep.Delivered != 1 || rep.Acked != 1 ||
		rep.Treatment.Converters != 1 || rep.Treatment.Revenue != 900 || rep.Redeemed != 0 {
		t.Fatalf("report: %s %v", out, err)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Errorf("chart file: %.40s %v", b, err)
	}
	if out, _, code := merchantCmd(t, srv.URL, tokenFile, "campaign", "list"); code != 0 || !strings.Contains(out, c.ID) {
		t.Errorf("list: %d %s", code, out)
	}
	if out, _, code := merchantCmd(t, srv.URL, tokenFile, "campaign", "cancel", c.ID); code != 0 || !strings.Contains(out, `"cancelled"`) {
		t.Errorf("cancel: %d %s", code, out)
	}
	srv.admin("merchant", "token", "revoke", issued.ID)
	if _, stderr, code := merchantCmd(t, srv.URL, tokenFile, "campaign", "show", c.ID); code == 0 || !strings.Contains(stderr, "unauthenticated") {
		t.Errorf("revoked token: exit %d %s", code, stderr)
	}
	srv.check()
	srv.stop()
}
