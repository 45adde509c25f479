package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/api"
	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
)

const adminToken = "browsertest-admin-token-0123456789abcdef"

// settlement is a real settlementd handler tree (bolt store, real keys, real clock) on 127.0.0.1,
// with a switch that makes every request fail as a dropped connection: the network is gone.
type settlement struct {
	srv   *httptest.Server
	svc   *service.Service
	store *boltstore.Store
	down  atomic.Bool
	// loseAnswers is how many order confirmations are carried out and then answered with a dropped
	// connection, as when the network fails after the server committed.
	loseAnswers atomic.Int32
}

func newSettlement(t *testing.T) *settlement {
	t.Helper()
	return newSettlementWith(t, service.DefaultPolicy())
}

// newSettlementWith is newSettlement under another service policy.
func newSettlementWith(t *testing.T, policy service.Policy) *settlement {
	t.Helper()
	return newSettlementFrom(t, service.Config{Policy: policy})
}

// newSettlementFrom is newSettlement with the service configured by cfg (its store and keys are
// filled in here).
func newSettlementFrom(t *testing.T, cfg service.Config) *settlement {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keys.Open(filepath.Join(dir, "keys"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := keys.OpenSealer(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Keys, cfg.Sealer = st, ring, sealer
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &settlement{svc: svc, store: st}
	h := api.New(api.Config{Service: svc, AdminToken: adminToken})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			panic(http.ErrAbortHandler)
		}
		if strings.HasSuffix(r.URL.Path, "/confirm") && s.loseAnswers.Add(-1) >= 0 {
			h.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.srv.Close()
		st.Close()
	})
	ctx := context.Background()
	ac := &admin.Client{BaseURL: s.srv.URL, Token: adminToken, HTTP: s.srv.Client()}
	if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: "alice", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice", UserID: "alice", OpeningBalance: money.Amount{Minor: 10000, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitJS polls expr (run through DevTools, outside the page's CSP) until it is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (last error %v)", what, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func visible(id string) string {
	return `(() => { const e = document.getElementById('` + id + `'); return !!e && e.offsetParent !== null; })()`
}

// setValue sets an input's value and fires its input event, as typing would.
func setValue(t *testing.T, ctx context.Context, id, v string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById('`+id+`'); e.value = `+strconv.Quote(v)+`; e.dispatchEvent(new Event('input')); return true; })()`))
	if err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('`+id+`').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func screen(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// qrShots is how many screenshots of a shown code the test takes before it says the code does
// not decode.
const qrShots = 3

// showCode taps "Show payment code", screenshots the QR, decodes it and checks it offline as a
// terminal would; it returns the decoded payload.
func showCode(t *testing.T, ctx context.Context, s *settlement) *payload.Payload {
	t.Helper()
	p, err := payload.Parse(scanCode(t, ctx))
	if err != nil {
		t.Fatalf("the QR is not a payload: %v", err)
	}
	lookup := credential.KeySetFrom(s.svc.ServerKeys()).Lookup
	if err := p.VerifyOffline(lookup, money.Amount{Minor: 1250, Currency: "EUR"}, time.Now()); err != nil {
		t.Fatalf("offline check of the shown code: %v", err)
	}
	shown, _ := strconv.Atoi(text(t, ctx, "code-number")[len("Code "):strings.Index(text(t, ctx, "code-number"), " of")])
	if shown != int(p.Counter)+1 {
		t.Errorf("screen says code %d, QR carries counter %d", shown, p.Counter)
	}
	return p
}

// scanCode taps "Show payment code" and reads the QR from screenshots as a scanner would: it returns
// the decoded text.
func scanCode(t *testing.T, ctx context.Context) string {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.ID("show-code")))
	return readShownCode(t, ctx)
}

// readShownCode waits for the code screen's QR and decodes a screenshot of it.
func readShownCode(t *testing.T, ctx context.Context) string {
	t.Helper()
	waitJS(t, ctx, "the code screen", visible("qr"))
	// Shown at a whole number of screen pixels per module: a stretched canvas gives modules of
	// uneven width, which decoders misjudge.
	waitJS(t, ctx, "the QR at whole pixels per module", `(() => { const q = document.getElementById('qr');
		const px = q.getBoundingClientRect().width * devicePixelRatio, total = Number(q.dataset.version) * 4 + 17 + 8;
		return px > 0 && Number.isInteger(px) && px % total === 0; })()`)
	var decoded string
	for shot := 1; ; shot++ {
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("qr")))
		if err != nil {
			t.Fatal(err)
		}
		if decoded, err = tryDecodeQR(png); err == nil {
			break
		}
		// A scanner reads several frames; so does the test, keeping each failed one for a look.
		name := fmt.Sprintf("qr-undecoded-%d.png", shot)
		_ = os.WriteFile(filepath.Join(artifactDir(t), name), png, 0o644)
		if shot == qrShots {
			t.Fatalf("%d screenshots of the QR, none decodes (last: %v; kept as %s)", shot, err, name)
		}
		t.Logf("screenshot %d of the QR does not decode (%v); kept as %s, taking another", shot, err, name)
	}
	return decoded
}

// TestFlowOneOffline: a wrong password, then log in, authorize 3 codes (hold and balance shown),
// take the server away, reload: the app opens from the service worker and shows codes whose QR
// decodes and verifies; consecutive counters, a reload reuses none; all codes used and cleared
// storage each show a clear state. Every screen is saved at 360×640.
func TestFlowOneOffline(t *testing.T) {
	ctx := newBrowser(t)
	s := newSettlement(t)
	art := artifactDir(t)

	do(t, ctx, chromedp.EmulateViewport(360, 640), chromedp.Navigate(s.srv.URL+webwallet.Prefix))
	waitJS(t, ctx, "the login screen", visible("login-form"))
	screen(t, ctx, art, "01-login")

	do(t, ctx, chromedp.SendKeys(chromedp.ID("user"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "wrong"),
		chromedp.Click(chromedp.ID("login-submit")))
	waitJS(t, ctx, "the wrong-password message", `document.getElementById('login-msg').textContent.includes('Wrong user id or password')`)
	screen(t, ctx, art, "02-wrong-password")

	setValue(t, ctx, "password", "correct horse")
	do(t, ctx, chromedp.Click(chromedp.ID("login-submit")))
	waitJS(t, ctx, "the account list", `document.querySelectorAll('#account option').length === 1`)
	if b := text(t, ctx, "balance"); !strings.Contains(b, "100.00") {
		t.Errorf("balance line %q, want 100.00", b)
	}
	setValue(t, ctx, "codes", "3")
	waitJS(t, ctx, "the hold line", `document.getElementById('hold').textContent.includes('60.00')`)
	screen(t, ctx, art, "03-authorize")
	do(t, ctx, chromedp.Click(chromedp.ID("authorize")))
	waitJS(t, ctx, "the authorization card", visible("auth-card"))
	if l := text(t, ctx, "auth-left"); !strings.Contains(l, "3 of 3") {
		t.Errorf("codes left %q", l)
	}
	if h := text(t, ctx, "auth-hold"); !strings.Contains(h, "60.00") {
		t.Errorf("hold %q", h)
	}
	waitJS(t, ctx, "the balance after the hold", `document.getElementById('balance').textContent.includes('40.00')`)
	screen(t, ctx, art, "04-home")
	waitJS(t, ctx, "the service worker in control", `navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)`)

	// No network at all from here on.
	s.down.Store(true)
	do(t, ctx, chromedp.Reload())
	waitJS(t, ctx, "the app from the service worker's cache", visible("show-code"))
	p0 := showCode(t, ctx, s)
	screen(t, ctx, art, "05-code")
	do(t, ctx, chromedp.Click(chromedp.ID("done")))
	waitJS(t, ctx, "home", visible("show-code"))
	p1 := showCode(t, ctx, s)
	if p0.Counter != 0 || p1.Counter != 1 {
		t.Fatalf("counters %d, %d; want 0, 1", p0.Counter, p1.Counter)
	}
	// A reload while a code is shown: the next code has a new counter.
	do(t, ctx, chromedp.Reload())
	waitJS(t, ctx, "the app after a reload", visible("show-code"))
	if p2 := showCode(t, ctx, s); p2.Counter != 2 {
		t.Fatalf("after a reload counter %d, want 2", p2.Counter)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("done")))
	waitJS(t, ctx, "the all-used state", `document.getElementById('auth-state').textContent.includes('All codes used') && document.getElementById('show-code').disabled`)
	screen(t, ctx, art, "06-all-used")

	// Storage cleared: the app says there are no codes and that logging in needs the network.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((res) => { const r = indexedDB.deleteDatabase('stillpay-wallet'); r.onsuccess = () => res(true); r.onerror = () => res(false); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Reload())
	waitJS(t, ctx, "the login screen after storage was cleared", visible("login-msg"))
	if m := text(t, ctx, "login-msg"); !strings.Contains(m, "No payment codes") && !strings.Contains(m, "offline") {
		t.Errorf("after clearing storage: %q", m)
	}
	screen(t, ctx, art, "07-storage-cleared")
}
