package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/webwallet"
)

// TestExpiredCredential: codes authorized for the shortest validity the form allows (0.001 h, which
// the app sends as 4 s; the server's clock is the real one) expire while the phone is offline. The
// card then says the codes expired, shows no code, and offers new codes with a note that this needs
// the network; back online the offer is live and leads to the authorize form, which authorizes
// again. Screens at 360×640.
func TestExpiredCredential(t *testing.T) {
	ctx := newBrowser(t)
	s := newSettlement(t)
	art := artifactDir(t)

	do(t, ctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(s.srv.URL+webwallet.Prefix))
	logInAndAuthorize(t, ctx, "alice", "correct horse", "codes", "1", "hours", "0.001")
	do(t, ctx, browserOffline(true))

	// Nothing moves the clock: the wait ends when the real one passes the credential's expiry.
	waitJS(t, ctx, "the expired state", `document.getElementById('auth-card').dataset.state === 'expired'`)
	waitJS(t, ctx, "the offline note", visible("reauth-note"))
	if l := text(t, ctx, "auth-left"); l != "Codes expired" {
		t.Errorf("card headline %q, want Codes expired", l)
	}
	if st := text(t, ctx, "auth-state"); !strings.Contains(st, "These codes expired on") {
		t.Errorf("state line %q", st)
	}
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`['show-code', 'reauthorize'].map((id) => document.getElementById(id).disabled)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(disabled) != 2 || !disabled[0] || !disabled[1] {
		t.Errorf("offline with expired codes, disabled [show-code reauthorize] = %v, want both", disabled)
	}
	screen(t, ctx, art, "08-expired-offline")

	do(t, ctx, browserOffline(false))
	waitJS(t, ctx, "the offer to authorize again, online", `!document.getElementById('reauthorize').disabled && document.getElementById('reauth-note').hidden`)
	if !isVisible(t, ctx, "reauthorize") {
		t.Fatal("online with expired codes: no button to authorize again")
	}
	screen(t, ctx, art, "09-expired")

	do(t, ctx, chromedp.Click(chromedp.ID("reauthorize")))
	waitJS(t, ctx, "the authorize form, focused", `document.activeElement === document.getElementById('cap')`)
	setValue(t, ctx, "codes", "2")
	setValue(t, ctx, "hours", "24")
	do(t, ctx, chromedp.Click(chromedp.ID("authorize")))
	waitJS(t, ctx, "the new authorization", `document.getElementById('auth-card').dataset.state === 'ok'`)
	if l := text(t, ctx, "auth-left"); !strings.Contains(l, "2 of 2") {
		t.Errorf("after authorizing again: %q, want 2 of 2 codes left", l)
	}
	if isVisible(t, ctx, "reauthorize") || isVisible(t, ctx, "auth-state") {
		t.Error("fresh codes still show the expired state")
	}
	screen(t, ctx, art, "10-authorized-again")
}

func isVisible(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](visible(id)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
