package browsertest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
)

// goldenJS builds one payload in the page with the app's own core.js, from a PKCS#8 device key and a
// raw secret imported non-extractable, exactly as the wallet holds them.
const goldenJS = `(async () => {
  const core = await import('./core.js');
  const b = core.fromBase64;
  const deviceKey = await crypto.subtle.importKey('pkcs8', b(%q), {name: 'Ed25519'}, false, ['sign']);
  const {otpKey, macKey} = await core.importSecret(b(%q));
  const out = [];
  for (const [counter, step, offer] of %s) {
    const p = await core.buildPayload({credential: b(%q), otpKey, macKey, deviceKey, counter, step, offer: b(offer)});
    out.push(p.text);
  }
  return out;
})()`

// TestGoldenPayloads: the browser builds byte-identical payloads to shared/payload for fixed inputs
// (secret, device key, credential, steps, counters, without an offer, with opaque bytes and with a
// signed offer token as flow 3 carries it), and the QR it draws
// for one decodes, from a screenshot, to the same text.
func TestGoldenPayloads(t *testing.T) {
	ctx := newBrowser(t)
	srv := httptest.NewServer(webwallet.Handler())
	defer srv.Close()

	serverKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	deviceKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	secret := bytes.Repeat([]byte{4}, otp.SecretSize)
	issued := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cred, err := credential.Sign(credential.Credential{
		UserID: "alice", AuthorizationID: "au_0123456789abcdef01234567", DevicePublicKey: deviceKey.Public().(ed25519.PublicKey),
		Currency: "EUR", CapPerPayment: 2000, MaxCodes: 10, IssuedAt: issued, ExpiresAt: issued.Add(24 * time.Hour),
	}, "k-0123456789ab", serverKey)
	if err != nil {
		t.Fatal(err)
	}
	credBytes := cred.Marshal()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(deviceKey)
	if err != nil {
		t.Fatal(err)
	}
	step := otp.StepAt(issued.Add(time.Hour))
	opaque := bytes.Repeat([]byte{0x5a}, 40)
	// A real offer token, as the inbox hands it to the wallet (flow 3, "Pay with this offer").
	tok, err := offer.Sign(offer.Token{ID: [offer.IDLen]byte{1, 2, 3, 4, 5, 6, 7, 8}, UserHash: offer.Bind("alice"),
		MerchHash: offer.Bind("M1"), Currency: "EUR", Rule: offer.Rule{Kind: offer.KindPercent, Value: 1000, MinSpend: 500, MaxDiscount: 300},
		ValidFrom: issued, ValidUntil: issued.Add(7 * 24 * time.Hour)}, "k-0123456789ab", serverKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		counter uint32
		step    uint64
		offer   []byte
	}{{0, step, nil}, {1, step, nil}, {9, step + 7, nil}, {3, otp.StepAt(issued) - 16, nil}, {2, step, opaque}, {4, step, tok.Marshal()}}

	list := "["
	want := make([]string, len(cases))
	for i, c := range cases {
		list += fmt.Sprintf("[%d,%d,%q],", c.counter, c.step, base64.StdEncoding.EncodeToString(c.offer))
		want[i], err = payload.Build(payload.Spec{Credential: credBytes, Secret: secret, Counter: c.counter, Step: c.step,
			Code: otp.PaymentCode(secret, c.step, c.counter), DeviceKey: deviceKey, Offer: c.offer})
		if err != nil {
			t.Fatal(err)
		}
	}
	list += "]"
	js := fmt.Sprintf(goldenJS, base64.StdEncoding.EncodeToString(pkcs8), base64.StdEncoding.EncodeToString(secret), list,
		base64.StdEncoding.EncodeToString(credBytes))

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+webwallet.Prefix), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("browser built %d payloads, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("case %d (counter %d step %d offer %d B):\nbrowser %s\nGo      %s", i, cases[i].counter, cases[i].step, len(cases[i].offer), got[i], want[i])
		}
	}

	// Draw the first with the app's qr.js on a bare canvas, screenshot it, decode it.
	draw := fmt.Sprintf(`(async () => {
	  const {drawQR} = await import('./qr.js');
	  document.body.replaceChildren();
	  const c = document.createElement('canvas');
	  c.id = 'golden';
	  document.body.append(c);
	  return drawQR(c, %q, 320).version;
	})()`, want[0])
	version, err := chromedp.Run(ctx, chromedp.Evaluate[int](draw, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("golden")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "golden-qr.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if text := decodeQR(t, shot); text != want[0] {
		t.Fatalf("QR decodes to %q, want %q", text, want[0])
	}
	if version != 10 {
		t.Errorf("QR version %d, want 10 at level L (docs/protocol.md)", version)
	}
}

func decodeQR(t *testing.T, pngBytes []byte) string {
	t.Helper()
	text, err := tryDecodeQR(pngBytes)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// tryDecodeQR decodes the one QR code in a PNG screenshot with the decoder a posagent camera
// uses (hardware/imaging): plain gozxing misreads some of these crisp codes (a false finder
// pattern in the data modules: "NotFoundException (x, y) = (-3, 227)"), which the terminal's
// tolerant detector reads.
func tryDecodeQR(pngBytes []byte) (string, error) {
	res, err := imaging.DecodeReader(bytes.NewReader(pngBytes), imaging.DefaultOptions())
	if err != nil {
		return "", fmt.Errorf("decode QR: %w", err)
	}
	return res.Text, nil
}
