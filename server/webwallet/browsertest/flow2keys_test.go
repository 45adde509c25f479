package browsertest

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestFlowTwoRotatedKey: the wallet trusts the server keys of its first approval. After the
// operator rotates the server key, an order signed with the new key names a key the wallet has not
// seen: it fetches GET /v1/keys, accepts the new key because the trusted one endorsed it, shows and
// pays the order, and checks the approval signed with the new key. An order signed with a key nobody
// endorsed (same text layout, same fields) is refused as signed by a key the wallet does not trust.
func TestFlowTwoRotatedKey(t *testing.T) {
	s := newSettlement(t)
	term := newLane(t, s)
	ctx := context.Background()
	bctx := newBrowser(t)
	art := artifactDir(t)

	login(t, bctx, s.srv.URL)
	setValue(t, bctx, "codes", "1")
	do(t, bctx, chromedp.Click(chromedp.ID("authorize")))
	waitJS(t, bctx, "the authorization card", visible("auth-card"))
	before := s.svc.ServerKeys()

	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	rotated, err := ac.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 1 || rotated.EndorsedBy != before[0].KeyID {
		t.Fatalf("rotation: %d keys before, new key %+v", len(before), rotated)
	}
	ord, err := term.CreateOrder(ctx, protocol.OrderRequest{TerminalOrderID: "T1-R-1", Amount: money.Amount{Minor: 725, Currency: "EUR"}, ExpiresInSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := order.Decode(ord.MPM); err != nil || s.KeyID != rotated.KeyID {
		t.Fatalf("the order is not signed with the new key %s: %+v %v", rotated.KeyID, s.KeyID, err)
	}

	do(t, bctx, chromedp.Click(chromedp.ID("pay-go")))
	paste(t, bctx, ord.MPM)
	waitJS(t, bctx, "the order signed with the endorsed new key", visible("order-confirm"))
	if got := text(t, bctx, "order-amount"); !strings.Contains(got, "7.25") {
		t.Errorf("amount shown %q", got)
	}
	learned, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`import('./store.js').then((db) => db.get('serverKeys')).then((k) => (k || []).map((x) => x.key_id))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(learned) != 2 || learned[1] != rotated.KeyID {
		t.Errorf("keys the wallet keeps after learning: %v, want the old and %s", learned, rotated.KeyID)
	}
	do(t, bctx, chromedp.Click(chromedp.ID("order-confirm")))
	waitJS(t, bctx, "paid", visible("order-paid"))
	if tx := laneTxns(t, s); len(tx) != 1 || tx[0].TerminalTxnID != ord.OrderID {
		t.Errorf("lane transactions %+v", tx)
	}

	// The same order re-signed with a key the server never had.
	forged, err := order.Decode(ord.MPM)
	if err != nil {
		t.Fatal(err)
	}
	forged.ID = "ord_forgedforgedforgedforgedaa"
	_, rogue, _ := ed25519.GenerateKey(nil)
	fs, err := order.Sign(forged.Order, "k-rogue", rogue)
	if err != nil {
		t.Fatal(err)
	}
	text2, err := fs.MPM()
	if err != nil {
		t.Fatal(err)
	}
	do(t, bctx, chromedp.Click(chromedp.ID("pay-back")), chromedp.Click(chromedp.ID("pay-go")))
	paste(t, bctx, text2)
	waitJS(t, bctx, "the refusal", `document.getElementById('pay-msg').textContent.includes('does not trust')`)
	if ok, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](visible("order-confirm"))); ok {
		t.Errorf("an order signed by an unknown key can be confirmed")
	}
	screen(t, bctx, art, "27-unknown-key")
}
