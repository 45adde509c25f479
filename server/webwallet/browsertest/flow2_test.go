package browsertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/skip2/go-qrcode"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// pixCode is a valid EMVCo code of another scheme (Brazil's Pix), from shared/emvqr's testdata.
const pixCode = "00020101021226720014br.gov.bcb.pix2550bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd4415204000053039865406123.455802BR5913Fulano de Tal6008BRASILIA62190515RP12345678-2019630445C8"

// newLane adds merchant M1 ("Corner Cafe", EUR) and enrolls its terminal T1 through the real API,
// as posagent does; the returned terminal signs its requests.
func newLane(t *testing.T, s *settlement) *bench.Terminal {
	t.Helper()
	ctx := context.Background()
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	if _, err := ac.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Corner Cafe", Currency: "EUR", MCC: "5812"}); err != nil {
		t.Fatal(err)
	}
	tc, err := ac.AddTerminal(ctx, admin.TerminalRequest{TerminalID: "T1", MerchantID: "M1"})
	if err != nil {
		t.Fatal(err)
	}
	term, _, err := bench.Enroll(ctx, s.srv.Client(), s.srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	return term
}

// writeY4M writes text's QR code as a short YUV4MPEG2 clip (640×480, grey) for Chromium's fake
// camera (--use-file-for-fake-video-capture), which plays it in a loop.
func writeY4M(t *testing.T, path, text string) {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 640, 480
	img := q.Image(456)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	luma := make([]byte, w*h)
	off := image.Pt((w-456)/2, (h-456)/2)
	for y := range h {
		for x := range w {
			luma[y*w+x] = 255
			p := image.Pt(x, y).Sub(off)
			if p.In(img.Bounds()) {
				luma[y*w+x] = color.GrayModel.Convert(img.At(p.X, p.Y)).(color.Gray).Y
			}
		}
	}
	chroma := []byte(strings.Repeat("\x80", w*h/2))
	for range 3 {
		bw.WriteString("FRAME\n")
		bw.Write(luma)
		bw.Write(chroma)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// balanceOf reads an account's balance through the admin API.
func balanceOf(t *testing.T, s *settlement, match func(admin.Balance) bool) int64 {
	t.Helper()
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	b, err := ac.Balances(context.Background(), admin.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range b.Accounts {
		if match(a) {
			return a.Balance.Minor
		}
	}
	t.Fatal("no such account")
	return 0
}

func laneTxns(t *testing.T, s *settlement) []admin.Transaction {
	t.Helper()
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	tx, err := ac.Transactions(context.Background(), admin.ListFilter{TerminalID: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	return tx.Transactions
}

func login(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(url+webwallet.Prefix))
	waitJS(t, ctx, "the login screen", visible("login-form"))
	do(t, ctx, chromedp.SendKeys(chromedp.ID("user"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("login-submit")))
	waitJS(t, ctx, "the home screen with flows 2 and 3", visible("pay-go"))
	waitJS(t, ctx, "the account list", `document.querySelectorAll('#account option').length === 1`)
}

// TestFlowTwoPayOrder: a terminal creates an order through the real API; the customer's browser
// scans its QR with the (fake) camera, shows the merchant, amount and reference the server signed,
// confirms (the first answer is lost after the server paid: the identical confirmation is sent
// again), and shows the verified approval; the ledger moved exactly once, also after the same
// code is confirmed again. A tampered order (amount changed, signature kept) is refused with a
// clear message and moves nothing; the lane's static sticker is paid with the amount the customer
// enters; another scheme's code is "not a stillpay order".
func TestFlowTwoPayOrder(t *testing.T) {
	s := newSettlement(t)
	term := newLane(t, s)
	ctx := context.Background()
	ord, err := term.CreateOrder(ctx, protocol.OrderRequest{TerminalOrderID: "T1-O-1", Amount: money.Amount{Minor: 1250, Currency: "EUR"},
		Reference: "INV-881", ExpiresInSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "order.y4m")
	writeY4M(t, clip, ord.MPM)
	bctx := newBrowserWith(t, chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-file-for-fake-video-capture", clip))
	art := artifactDir(t)

	login(t, bctx, s.srv.URL)
	screen(t, bctx, art, "20-home-flows")
	do(t, bctx, chromedp.Click(chromedp.ID("pay-go")))
	waitJS(t, bctx, "the pay screen", visible("scan-start"))
	screen(t, bctx, art, "21-pay")

	do(t, bctx, chromedp.Click(chromedp.ID("scan-start")))
	waitJS(t, bctx, "the scanned order", visible("order-confirm"))
	if d, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('scan-video').dataset.decoder || ''`)); d == "" {
		t.Errorf("no decoder recorded for the camera frames")
	} else {
		t.Logf("camera frames decoded with %s", d)
	}
	if got := text(t, bctx, "order-amount"); !strings.Contains(got, "12.50") {
		t.Errorf("amount shown %q, want 12.50", got)
	}
	if got := text(t, bctx, "order-merchant"); !strings.Contains(got, "Corner Cafe") || !strings.Contains(got, "M1") {
		t.Errorf("merchant shown %q", got)
	}
	if got := text(t, bctx, "order-ref"); !strings.Contains(got, "INV-881") {
		t.Errorf("reference shown %q", got)
	}
	if got := text(t, bctx, "order-exp"); got == "" {
		t.Errorf("no expiry shown")
	}
	screen(t, bctx, art, "22-order")

	isAlice := func(b admin.Balance) bool { return b.AccountID == "acc-alice" }
	isM1 := func(b admin.Balance) bool { return b.OwnerID == "M1" }
	alice0, m0 := balanceOf(t, s, isAlice), balanceOf(t, s, isM1)
	// The server pays, but its answer is lost: the phone sends the identical confirmation again
	// and gets the paid order; the money moves once.
	s.loseAnswers.Store(1)
	do(t, bctx, chromedp.Click(chromedp.ID("order-confirm")))
	waitJS(t, bctx, "the paid screen", visible("order-paid"))
	screen(t, bctx, art, "23-paid")
	if n := s.loseAnswers.Load(); n >= 0 {
		t.Fatalf("the lost answer was not sent (%d left to lose)", n+1)
	}

	// The terminal sees the order paid; its approval code is the one the phone shows.
	a, err := term.Get(ctx, protocol.OrderPath(ord.OrderID))
	if err != nil {
		t.Fatal(err)
	}
	var paid protocol.Order
	if err := a.Decode(&paid); err != nil {
		t.Fatal(err)
	}
	if paid.State != protocol.OrderPaid || paid.Approval == nil {
		t.Fatalf("order after the phone paid: %+v", paid)
	}
	appr, err := protocol.VerifyApproval(*paid.Approval, s.svc.ServerKeys())
	if err != nil {
		t.Fatal(err)
	}
	shownCode, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('paid-code').dataset.code`))
	if shownCode != appr.ApprovalCode {
		t.Errorf("phone shows approval %q, server signed %q", shownCode, appr.ApprovalCode)
	}
	checkOnce := func(when string) {
		t.Helper()
		if d := alice0 - balanceOf(t, s, isAlice); d != 1250 {
			t.Errorf("%s: alice paid %d, want 1250", when, d)
		}
		if d := balanceOf(t, s, isM1) - m0; d != 1250 {
			t.Errorf("%s: merchant got %d, want 1250", when, d)
		}
		if tx := laneTxns(t, s); len(tx) != 1 || tx[0].TerminalTxnID != ord.OrderID {
			t.Errorf("%s: lane transactions %+v, want the one order", when, tx)
		}
	}
	checkOnce("after paying")

	// The same code again (pasted): the identical confirmation answers the paid order, nothing moves.
	do(t, bctx, chromedp.Click(chromedp.ID("pay-back")), chromedp.Click(chromedp.ID("pay-go")))
	paste(t, bctx, ord.MPM)
	waitJS(t, bctx, "the order again", visible("order-confirm"))
	do(t, bctx, chromedp.Click(chromedp.ID("order-confirm")))
	waitJS(t, bctx, "the paid screen again", visible("order-paid"))
	checkOnce("after confirming the same order again")

	// A tampered order: the amount changed, the server's signature kept (the text is otherwise a
	// valid, canonical order with a correct CRC).
	ord2, err := term.CreateOrder(ctx, protocol.OrderRequest{TerminalOrderID: "T1-O-2", Amount: money.Amount{Minor: 500, Currency: "EUR"}, ExpiresInSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	tampered := tamperAmount(t, s, ord2.MPM, 5)
	do(t, bctx, chromedp.Click(chromedp.ID("pay-back")), chromedp.Click(chromedp.ID("pay-go")))
	paste(t, bctx, tampered)
	waitJS(t, bctx, "the refusal", `document.getElementById('pay-msg').textContent.includes('signature does not match')`)
	if ok, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](visible("order-confirm"))); ok {
		t.Errorf("a tampered order can be confirmed")
	}
	screen(t, bctx, art, "24-tampered")
	checkOnce("after the tampered order")
	do(t, bctx, chromedp.Click(chromedp.ID("pay-back")), chromedp.Click(chromedp.ID("pay-go")))

	// The lane's static sticker: the customer enters the amount; the server creates the order and
	// pays it in one step (POST /v1/sticker-payments, order id protocol.StaticOrderID).
	sa, err := term.Get(ctx, protocol.PathTerminalStick)
	if err != nil {
		t.Fatal(err)
	}
	var sticker protocol.Sticker
	if err := sa.Decode(&sticker); err != nil || sticker.MPM == "" {
		t.Fatalf("sticker: %s %v", sa.Body, err)
	}
	paste(t, bctx, sticker.MPM)
	waitJS(t, bctx, "the sticker", visible("sticker-amount"))
	setValue(t, bctx, "sticker-amount", "4.80")
	screen(t, bctx, art, "26-sticker")
	do(t, bctx, chromedp.Click(chromedp.ID("order-confirm")))
	waitJS(t, bctx, "the sticker paid", visible("order-paid"))
	if got := text(t, bctx, "paid-what"); !strings.Contains(got, "4.80") {
		t.Errorf("sticker paid screen %q", got)
	}
	if d := alice0 - balanceOf(t, s, isAlice); d != 1250+480 {
		t.Errorf("after the sticker alice paid %d in all, want 17.30", d)
	}
	if tx := laneTxns(t, s); len(tx) != 2 {
		t.Errorf("lane transactions after the sticker: %+v, want 2", tx)
	}

	// Another scheme's code: shown, never paid.
	do(t, bctx, chromedp.Click(chromedp.ID("pay-back")), chromedp.Click(chromedp.ID("pay-go")))
	paste(t, bctx, pixCode)
	waitJS(t, bctx, "not a stillpay order", `document.getElementById('pay-msg').textContent.includes('Not a stillpay order')`)
	if got := text(t, bctx, "order-other"); !strings.Contains(got, "Fulano de Tal") || !strings.Contains(got, "123.45 BRL") {
		t.Errorf("other scheme shown as %q", got)
	}
	screen(t, bctx, art, "25-not-stillpay")
}

// paste types text into the order field and reads it.
func paste(t *testing.T, ctx context.Context, code string) {
	t.Helper()
	waitJS(t, ctx, "the paste field", visible("order-text"))
	setValue(t, ctx, "order-text", code)
	do(t, ctx, chromedp.Click(chromedp.ID("order-read")))
}

// tamperAmount rewrites a signed order with another amount and the original signature: a
// canonical order text with a correct CRC whose server signature no longer verifies.
func tamperAmount(t *testing.T, s *settlement, mpm string, minor int64) string {
	t.Helper()
	o, err := order.Decode(mpm)
	if err != nil {
		t.Fatal(err)
	}
	o.Amount.Minor = minor
	text, err := o.MPM()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := order.Parse(text, credential.KeySetFrom(s.svc.ServerKeys()).Lookup, time.Now()); !errors.Is(err, order.ErrSignature) {
		t.Fatalf("the tampered order parses in Go with %v, want order.ErrSignature", err)
	}
	return text
}
