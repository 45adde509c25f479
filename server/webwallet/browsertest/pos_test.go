package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/terminal/agent"
)

// browserOffline switches the page's network off (offline true) the way DevTools' "Offline" does:
// every request of the page and of its service worker fails, and navigator.onLine is false; the
// server keeps running. browserOffline(false) gives the network back.
func browserOffline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var rules []*network.Conditions
		if offline {
			rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &offline, MatchedNetworkConditions: rules,
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// logInAndAuthorize logs user in on the app's login screen and authorizes offline codes with the
// authorize form's fields set as given (id, value pairs; the others keep their defaults), then waits
// until the service worker controls the page (the app opens offline).
func logInAndAuthorize(t *testing.T, ctx context.Context, user, password string, fields ...string) {
	t.Helper()
	waitJS(t, ctx, "the login screen", visible("login-form"))
	do(t, ctx, chromedp.SendKeys(chromedp.ID("user"), user), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")))
	waitJS(t, ctx, "the account list", `document.querySelectorAll('#account option').length === 1`)
	for i := 0; i+1 < len(fields); i += 2 {
		setValue(t, ctx, fields[i], fields[i+1])
	}
	do(t, ctx, chromedp.Click(chromedp.ID("authorize")))
	waitJS(t, ctx, "the authorization card", visible("auth-card"))
	waitJS(t, ctx, "the service worker in control", `navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)`)
}

// TestBrowserCodePaysAtOfflinePosagent is flow 1 whole: the web wallet, served by a real settlementd
// binary, logs in and authorizes; the browser goes offline (network emulation, not a refusing
// server) and reloads: the app opens from its service worker and shows a code. The QR screenshot
// is decoded and sent through the pty scanner simulator to a real posagent whose settlementd is
// stopped: offline approval, printed as such. With settlementd back, the queued sale settles once.
func TestBrowserCodePaysAtOfflinePosagent(t *testing.T) {
	testenv.SkipIfShort(t, "builds and starts the real settlementd and posagent binaries and Chromium")
	ctx := context.Background()
	bin := t.TempDir()
	if err := demo.BuildBinaries(ctx, bin); err != nil {
		t.Fatal(err)
	}
	lab, err := demo.NewLab(ctx, demo.Options{Bin: bin, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "500.00"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	password, err := os.ReadFile(filepath.Join(lab.Dir, "alice.password"))
	if err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)
	art := artifactDir(t)

	do(t, bctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(lab.ServerURL+webwallet.Prefix))
	logInAndAuthorize(t, bctx, demo.UserID, strings.TrimSpace(string(password)), "codes", "3")

	before, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The browser's network goes away while settlementd still runs: the page cannot reach it.
	do(t, bctx, browserOffline(true))
	reached, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`fetch('/healthz', {cache: 'no-store'}).then(() => true, () => false)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if reached {
		t.Fatal("the page still reaches settlementd with the browser offline")
	}
	lab.StopServer()
	do(t, bctx, chromedp.Reload())
	waitJS(t, bctx, "the app from the service worker's cache", visible("show-code"))
	waitJS(t, bctx, "the offline badge", `document.getElementById('net').dataset.state === 'offline'`)
	screen(t, bctx, art, "pos-01-offline-home")
	code := scanCode(t, bctx)
	screen(t, bctx, art, "pos-02-code")
	p, err := payload.Parse(code)
	if err != nil {
		t.Fatalf("the QR is not a payload: %v", err)
	}

	v, err := lab.Sale(ctx, "12.50", code)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != agent.SaleApproved || !v.Offline || v.PrintStatus != agent.PrintPrinted {
		t.Fatalf("sale with the browser's code, server down: %+v", v)
	}
	rs := lab.Printer.Receipts()
	if len(rs) != 1 {
		t.Fatalf("%d receipts, want 1", len(rs))
	}
	for _, want := range []string{"OFFLINE APPROVAL", "guaranteed by credential", p.Credential.AuthorizationID, "€12.50", v.ID} {
		if !strings.Contains(rs[0].Text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, rs[0].Text)
		}
	}
	if err := os.WriteFile(filepath.Join(art, "pos-03-receipt.png"), rs[0].PNG, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := lab.API.Status(ctx); err != nil || st.QueueDepth != 1 {
		t.Fatalf("queue with the server down: %+v %v", st, err)
	}

	// settlementd comes back: the forwarder delivers the queued approval, which settles once.
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	txns, err := lab.Transactions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(txns) != 1 || txns[0].TerminalTxnID != v.ID || txns[0].Status != "approved" || !txns[0].Offline || txns[0].Amount.Minor != 1250 {
		t.Fatalf("server's transactions after the drain, want the one offline sale of 12.50: %+v", txns)
	}
	bs, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m0, _ := demo.MerchantBalance(before)
	if m1, err := demo.MerchantBalance(bs); err != nil || m1-m0 != 1250 {
		t.Errorf("merchant balance moved by %d (%v), want 1250: the sale settled once", m1-m0, err)
	}
	// The customer's money is the funding account plus the authorization's hold (part of the hold
	// goes to the merchant, the rest of that code's share back to the account).
	if c0, c1 := customerFunds(before), customerFunds(bs); c0-c1 != 1250 {
		t.Errorf("customer's account and hold moved by %d, want 1250 (before %+v, after %+v)", c0-c1, before, bs)
	}
	if out, err := lab.Admin(ctx, "check"); err != nil {
		t.Errorf("ledger check: %v %s", err, out)
	}
}

// customerFunds is the lab customer's funding account plus the hold accounts (only that customer
// authorizes in these tests), in minor units.
func customerFunds(bs []demo.Balance) int64 {
	var sum int64
	for _, b := range bs {
		if b.AccountID == demo.AccountID || b.Kind == "hold" {
			sum += b.Balance.Minor
		}
	}
	return sum
}
