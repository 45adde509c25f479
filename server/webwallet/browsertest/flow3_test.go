package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// coffeeCampaign is a 10 % offer (at most 3.00, from a 5.00 spend) to first-time customers, with no
// hold-out group, so every opted-in customer who matches is sent it.
func coffeeCampaign(title string) protocol.CampaignRequest { return campaignTo(title, "first_time") }

// campaignTo is coffeeCampaign to the customers who match cond ("first_time", "returning").
func campaignTo(title, cond string) protocol.CampaignRequest {
	zero := 0
	return protocol.CampaignRequest{Title: title, Text: "10% off your next visit",
		Conditions: json.RawMessage(`{"groups":[[{"type":"` + cond + `"}]]}`),
		Discount:   protocol.OfferRule{Kind: "percent", Value: 1000, MinSpend: 500, MaxDiscount: 300}, Days: 7, HoldoutBP: &zero}
}

// TestFlowThreeOffers: offers are off by default, so a campaign finds nobody; the customer turns
// them on in the app, a campaign is pushed to them and shows in the inbox (stored, acknowledged);
// paying with it shows a code whose payload carries the server's offer token byte for byte, which
// verifies offline as a terminal checks it and is approved online with the discount; opting out of
// the merchant hides its offers and the next campaign does not reach the customer.
func TestFlowThreeOffers(t *testing.T) {
	policy := service.DefaultPolicy()
	policy.Offers.MinAudience = 1 // one customer is audience enough here (50 by default)
	s := newSettlementWith(t, policy)
	term := newLane(t, s)
	ctx := context.Background()
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	issued, err := ac.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1", Name: "backoffice"})
	if err != nil {
		t.Fatal(err)
	}
	m1 := &admin.Client{BaseURL: s.srv.URL, Token: issued.Token, HTTP: s.srv.Client()}
	bctx := newBrowser(t)
	art := artifactDir(t)

	login(t, bctx, s.srv.URL)
	setValue(t, bctx, "codes", "2")
	do(t, bctx, chromedp.Click(chromedp.ID("authorize")))
	waitJS(t, bctx, "the authorization card", visible("auth-card"))

	do(t, bctx, chromedp.Click(chromedp.ID("offers-go")))
	waitJS(t, bctx, "the offers screen", visible("offers-on"))
	waitJS(t, bctx, "the inbox checked", `document.getElementById('offer-list').dataset.state === 'ready' && document.getElementById('offers-msg').textContent.includes('No new offers')`)
	if on, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById('offers-on').checked`)); on {
		t.Fatal("offers are on before the customer turned them on")
	}
	screen(t, bctx, art, "30-offers-off")
	var p *protocol.Problem
	if _, err := m1.CreateCampaign(ctx, coffeeCampaign("Before opting in")); !errors.As(err, &p) || p.Code != protocol.CodeAudienceTooSmall {
		t.Fatalf("campaign before the customer opted in: %v, want audience_too_small", err)
	}

	// Opt in from the app; the server has it.
	do(t, bctx, chromedp.Click(chromedp.ID("offers-on")))
	waitSettings(t, s, func(st offerSettings) bool { return st.OptedIn })
	c, err := m1.CreateCampaign(ctx, coffeeCampaign("Coffee on us"))
	if err != nil || c.Targeted != 1 {
		t.Fatalf("campaign after opting in: %+v %v, want 1 targeted", c, err)
	}
	do(t, bctx, chromedp.Click(chromedp.ID("offers-refresh")))
	waitJS(t, bctx, "the offer in the inbox", `document.getElementById('offer-list').dataset.state === 'ready' && document.querySelectorAll('#offer-list li').length === 1`)
	li := func(sel string) string {
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#offer-list li `+sel+`').textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if h, d := li("h2"), li(".big"); h != "Coffee on us" || !strings.Contains(d, "10% off") || !strings.Contains(d, "5.00") {
		t.Errorf("offer shown as %q / %q", h, d)
	}
	if strings.Contains(li(".note"), "not checked") {
		t.Errorf("the offer's signature was not verified in the browser: %q", li(".note"))
	}
	screen(t, bctx, art, "31-inbox")
	// Acknowledged after it was stored: a second look gets nothing new.
	do(t, bctx, chromedp.Click(chromedp.ID("offers-refresh")))
	waitJS(t, bctx, "nothing new", `document.getElementById('offer-list').dataset.state === 'ready' && document.getElementById('offers-msg').textContent.includes('No new offers')`)
	waitJS(t, bctx, "the held offer still listed", `document.querySelectorAll('#offer-list li').length === 1`)

	// Pay with it: the code carries the offer token the server sent, byte for byte.
	tokB64, err := chromedp.Run(bctx, chromedp.Evaluate[string](`import('./store.js').then((db) => db.get('offers')).then((o) => o[0].token)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	token, err := base64.StdEncoding.DecodeString(tokB64)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := offer.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	keys := credential.KeySetFrom(s.svc.ServerKeys())
	if err := tok.Verify(keys, time.Now()); err != nil || tok.UserHash != offer.Bind("alice") || tok.MerchHash != offer.Bind("M1") {
		t.Fatalf("the held token is not the server's offer for alice at M1: %v", err)
	}
	do(t, bctx, chromedp.Click(chromedp.CSS(`#offer-list li button[data-action="pay"]`)))
	waitJS(t, bctx, "the code screen", visible("qr"))
	if got := text(t, bctx, "code-offer"); !strings.Contains(got, "Coffee on us") {
		t.Errorf("code screen says %q about the offer", got)
	}
	shown := readShownCode(t, bctx)
	pl, err := payload.Parse(shown)
	if err != nil {
		t.Fatal(err)
	}
	if string(pl.Offer) != string(token) {
		t.Fatalf("the code's offer field is %x, want the token %x", pl.Offer, token)
	}
	if err := pl.VerifyOffline(keys.Lookup, money.Amount{Minor: 1800, Currency: "EUR"}, time.Now()); err != nil {
		t.Fatalf("offline check of the code with the offer: %v", err)
	}
	screen(t, bctx, art, "32-code-with-offer")
	// Online at the lane: 20.00 less 10 % is 18.00.
	ans, err := term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "T1-S-1",
		Amount: money.Amount{Minor: 1800, Currency: "EUR"}, Gross: 2000, Payload: shown})
	if err != nil {
		t.Fatal(err)
	}
	var tr protocol.TransactionResponse
	if err := ans.Decode(&tr); err != nil || ans.Status != http.StatusOK || tr.Status != protocol.StatusApproved {
		t.Fatalf("payment with the offer: %d %s", ans.Status, ans.Body)
	}

	// Opt out of the merchant: its offers disappear and the next campaign does not reach alice. She
	// has paid at M1 now, so a campaign to returning customers matches her until she opts out.
	dry := campaignTo("Returning", "returning")
	dry.DryRun = true
	if c, err := m1.CreateCampaign(ctx, dry); err != nil || c.Matched != 1 {
		t.Fatalf("dry run to returning customers before the opt-out: %+v %v, want alice matched", c, err)
	}
	do(t, bctx, chromedp.Click(chromedp.ID("done")), chromedp.Click(chromedp.ID("offers-go")))
	// The list is drawn from storage, then again when the inbox answered: click only after that.
	waitJS(t, bctx, "the offer listed after the inbox answered", `document.getElementById('offer-list').dataset.state === 'ready' && document.querySelectorAll('#offer-list li').length === 1`)
	do(t, bctx, chromedp.Click(chromedp.CSS(`#offer-list li button[data-action="opt-out"]`)))
	waitJS(t, bctx, "the opt-out", `document.querySelector('#opt-outs button[data-merchant="M1"]') !== null && document.querySelectorAll('#offer-list li').length === 0`)
	waitSettings(t, s, func(st offerSettings) bool { return st.OptedIn && len(st.OptOuts) == 1 && st.OptOuts[0] == "M1" })
	screen(t, bctx, art, "33-opted-out")
	if _, err := m1.CreateCampaign(ctx, campaignTo("After opting out", "returning")); !errors.As(err, &p) || p.Code != protocol.CodeAudienceTooSmall {
		t.Fatalf("campaign after the opt-out: %v, want audience_too_small", err)
	}
}

type offerSettings struct {
	OptedIn bool
	OptOuts []string
}

// waitSettings polls the store until the customer's offer settings satisfy ok.
func waitSettings(t *testing.T, s *settlement, ok func(offerSettings) bool) {
	t.Helper()
	for i := 0; ; i++ {
		st, err := s.store.GetOfferSettings(context.Background(), "alice")
		if err == nil && ok(offerSettings{OptedIn: st.OptedIn, OptOuts: st.OptOuts}) {
			return
		}
		if i == 300 {
			t.Fatalf("offer settings %+v (%v)", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
