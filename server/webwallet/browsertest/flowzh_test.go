package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestFlowsTwoThreeChinese: a browser whose language is Chinese gets the flow 2 and flow 3 screens
// in Chinese (i18n.js), with the order's amount formatted for zh-CN; screens 28 and 34.
func TestFlowsTwoThreeChinese(t *testing.T) {
	s := newSettlement(t)
	term := newLane(t, s)
	ord, err := term.CreateOrder(context.Background(), protocol.OrderRequest{TerminalOrderID: "T1-Z-1", Amount: money.Amount{Minor: 1250, Currency: "EUR"}, ExpiresInSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	bctx := newBrowserWith(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN"))
	art := artifactDir(t)
	do(t, bctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(s.srv.URL+"/wallet/"))
	waitJS(t, bctx, "the login screen", visible("login-form"))
	if l, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.language`)); !strings.HasPrefix(l, "zh") {
		t.Skipf("this Chromium ignores --lang (navigator.language %q)", l)
	}
	do(t, bctx, chromedp.SendKeys(chromedp.ID("user"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("login-submit")))
	waitJS(t, bctx, "the home screen", visible("pay-go"))
	if got := text(t, bctx, "pay-go"); got != "扫商家二维码付款" {
		t.Errorf("pay button %q, want Chinese", got)
	}
	do(t, bctx, chromedp.Click(chromedp.ID("pay-go")))
	paste(t, bctx, ord.MPM)
	waitJS(t, bctx, "the order", visible("order-confirm"))
	if got := text(t, bctx, "order-confirm"); got != "付款" {
		t.Errorf("confirm button %q, want 付款", got)
	}
	if got := text(t, bctx, "order-amount"); !strings.Contains(got, "12.50") {
		t.Errorf("amount %q", got)
	}
	screen(t, bctx, art, "28-order-zh")
	do(t, bctx, chromedp.Click(chromedp.ID("pay-back")), chromedp.Click(chromedp.ID("offers-go")))
	waitJS(t, bctx, "the offers screen", `document.getElementById('offer-list').dataset.state === 'ready'`)
	if got := text(t, bctx, "offers-msg"); got != "没有新优惠。" {
		t.Errorf("inbox message %q, want Chinese", got)
	}
	screen(t, bctx, art, "34-offers-zh")
}
