package browsertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/push/pushtest"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/webwallet"
)

// lateStore lets the push sender be built before the settlement's store exists.
type lateStore struct{ store.Store }

// TestWebPushSwitch: the "Notify me of offers" switch shows only once offers are on. Turning it on
// asks for the permission (granted through DevTools) and subscribes with the server's VAPID key:
// headless Chromium has no push service offline, so the test accepts either a stored https
// subscription or the app's clear "could not subscribe" state, and logs which. The registration
// path is then driven with a subscription the test made (push.js register, the same call the switch
// makes): a campaign reaches the test's RFC 8030 receiver, which checks the VAPID JWT and decrypts
// the offer. Last, DevTools delivers a push message to the app's service worker, which shows the
// notification with the merchant and the offer's title.
func TestWebPushSwitch(t *testing.T) {
	ls := &lateStore{}
	v, err := push.LoadOrCreateVAPID(t.TempDir() + "/" + push.VAPIDKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := push.New(push.Config{Store: ls, VAPID: v, Contact: "mailto:ops@stillpay.test", RetryDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	policy := service.DefaultPolicy()
	policy.Offers.MinAudience = 1
	s := newSettlementFrom(t, service.Config{Policy: policy, Push: sender, PushLoopback: true})
	ls.Store = s.store
	sender.Start(context.Background())
	t.Cleanup(sender.Close)
	ctx := context.Background()
	newLane(t, s)
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	issued, err := ac.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1"})
	if err != nil {
		t.Fatal(err)
	}
	m1 := &admin.Client{BaseURL: s.srv.URL, Token: issued.Token, HTTP: s.srv.Client()}
	merchant, err := s.store.GetMerchant(ctx, "M1")
	if err != nil {
		t.Fatal(err)
	}

	bctx := newBrowser(t)
	art := artifactDir(t)
	if _, err := chromedp.CallBrowser(bctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: s.srv.URL}); err != nil {
		t.Fatal(err)
	}
	login(t, bctx, s.srv.URL)
	setValue(t, bctx, "codes", "2")
	do(t, bctx, chromedp.Click(chromedp.ID("authorize")))
	waitJS(t, bctx, "the authorization card", visible("auth-card"))
	waitJS(t, bctx, "the service worker in control", `navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)`)

	do(t, bctx, chromedp.Click(chromedp.ID("offers-go")))
	waitJS(t, bctx, "the offers screen", visible("offers-on"))
	waitJS(t, bctx, "the inbox checked", `document.getElementById('offers-msg').textContent.length > 0`)
	if visibleNow(t, bctx, "push-on") {
		t.Fatal("the push switch shows while offers are off")
	}
	do(t, bctx, chromedp.Click(chromedp.ID("offers-on")))
	waitJS(t, bctx, "the push switch once offers are on", visible("push-on"))
	screen(t, bctx, art, "40-push-switch")

	// The real switch.
	do(t, bctx, chromedp.Click(chromedp.ID("push-on")))
	waitJS(t, bctx, "the switch's outcome", `!document.getElementById('push-msg').hidden`)
	screen(t, bctx, art, "41-push-subscribe")
	on, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById('push-on').checked`))
	if err != nil {
		t.Fatal(err)
	}
	msg := text(t, bctx, "push-msg")
	subs, err := s.store.ListPushSubscriptions(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case on && len(subs) == 1 && strings.HasPrefix(subs[0].Endpoint, "https://"):
		t.Logf("headless Chromium subscribed with its push service (%s...)", subs[0].Endpoint[:24])
		if err := s.store.DeletePushSubscription(ctx, "alice", subs[0].Endpoint); err != nil {
			t.Fatal(err)
		}
	case !on && len(subs) == 0 && strings.Contains(msg, "could not subscribe"):
		t.Logf("headless Chromium could not subscribe (no push service offline); the app says: %s", msg)
	default:
		t.Fatalf("switch on=%v, message %q, server has %d subscriptions", on, msg, len(subs))
	}

	// The registration path with a subscription the test made.
	rcv := pushtest.NewReceiver(t)
	b := rcv.NewBrowser(t, "alice")
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`import('./push.js').then((m) => m.register(`+string(b.SubscriptionJSON())+`)).then(() => true)`,
		chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("push.js register: %v", err)
	}
	if subs, err := s.store.ListPushSubscriptions(ctx, "alice"); err != nil || len(subs) != 1 || subs[0].Endpoint != b.Endpoint {
		t.Fatalf("after register the server has %+v %v", subs, err)
	}
	c, err := m1.CreateCampaign(ctx, coffeeCampaign("Coffee on us"))
	if err != nil || c.Targeted != 1 {
		t.Fatalf("campaign: %+v %v", c, err)
	}
	m, ok := rcv.Next(t, 30*time.Second)
	if !ok {
		t.Fatal("the push receiver got nothing in 30 s")
	}
	if m.Err != nil {
		t.Fatalf("push: %v", m.Err)
	}
	var p push.Payload
	if err := json.Unmarshal(m.Plain, &p); err != nil || p.Merchant != merchant.Name || p.Body != "Coffee on us" || !strings.HasPrefix(p.MessageID, "msg_") {
		t.Fatalf("decrypted payload %q: %+v %v", m.Plain, p, err)
	}
	if m.VAPIDKey != v.PublicKey() {
		t.Errorf("VAPID k %s, want the served %s", m.VAPIDKey, v.PublicKey())
	}

	// The service worker shows what a push service delivers.
	regs := make(chan serviceworker.RegistrationID, 8)
	scope := s.srv.URL + webwallet.Prefix
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			for _, r := range e.Registrations {
				if r.ScopeURL == scope && !r.IsDeleted {
					select {
					case regs <- r.RegistrationID:
					default:
					}
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, serviceworker.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	var reg serviceworker.RegistrationID
	select {
	case reg = <-regs:
	case <-time.After(30 * time.Second):
		t.Fatal("DevTools named no service worker registration for " + scope)
	}
	if _, err := chromedp.Call(bctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
		Origin: s.srv.URL, RegistrationID: reg, Data: string(m.Plain)}); err != nil {
		t.Fatalf("deliver push: %v", err)
	}
	want := "New offer from " + merchant.Name + "|Coffee on us"
	waitJS(t, bctx, "the notification", `navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => ns.some((n) => n.title + '|' + n.body === `+jsString(want)+`))`)
}

func visibleNow(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](visible(id)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
