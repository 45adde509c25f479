package browsertest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/webwallet"
)

// TestRevokeAndLogout: the customer revokes their codes from the app (the server marks the
// authorization revoked, the phone forgets it and can show no code), then logs out (the session is
// gone from IndexedDB; home says there are no codes and offers to log in). Screens at 360×640.
func TestRevokeAndLogout(t *testing.T) {
	ctx := newBrowser(t)
	s := newSettlement(t)
	art := artifactDir(t)
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}

	do(t, ctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(s.srv.URL+webwallet.Prefix))
	logInAndAuthorize(t, ctx, "alice", "correct horse", "codes", "2")
	auths := authorizationsOf(t, ac)
	if len(auths) != 1 || !auths[0].RevokedAt.IsZero() {
		t.Fatalf("after authorizing: %+v", auths)
	}

	do(t, ctx, chromedp.Click(chromedp.ID("revoke")))
	waitJS(t, ctx, "the revoked message", `document.getElementById('home-msg').textContent.includes('Revoked')`)
	screen(t, ctx, art, "50-revoked")
	if auths = authorizationsOf(t, ac); len(auths) != 1 || auths[0].RevokedAt.IsZero() {
		t.Fatalf("the server does not have the authorization revoked: %+v", auths)
	}
	if isVisible(t, ctx, "auth-card") {
		t.Error("the authorization card is still shown after revoking")
	}
	if shown := isVisible(t, ctx, "show-code"); shown {
		enabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById('show-code').disabled`))
		if err != nil {
			t.Fatal(err)
		}
		if enabled {
			t.Error("Show payment code is offered after revoking")
		}
	}
	if n := storedRecords(t, ctx, "auth"); n != 0 {
		t.Errorf("IndexedDB still holds %d authorization record(s) after revoking", n)
	}

	do(t, ctx, chromedp.Click(chromedp.ID("logout")))
	waitJS(t, ctx, "home, logged out, offering to log in", visible("login-go")+` && document.getElementById('no-auth').textContent.includes('No payment codes')`)
	screen(t, ctx, art, "51-logged-out")
	if n := storedRecords(t, ctx, "session"); n != 0 {
		t.Errorf("IndexedDB still holds the session after logging out")
	}
	if isVisible(t, ctx, "logout") {
		t.Error("Log out is still offered after logging out")
	}
}

// authorizationsOf lists alice's authorizations through the admin API.
func authorizationsOf(t *testing.T, ac *admin.Client) []admin.Authorization {
	t.Helper()
	as, err := ac.Authorizations(context.Background(), admin.ListFilter{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return as.Authorizations
}

// storedRecords counts the records under key in the wallet's IndexedDB (0 or 1), read in the page
// through DevTools.
func storedRecords(t *testing.T, ctx context.Context, key string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(async () => {
	  const db = await import('./store.js');
	  return (await db.get(`+jsString(key)+`)) ? 1 : 0;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading %s from IndexedDB: %v", key, err)
	}
	return n
}
