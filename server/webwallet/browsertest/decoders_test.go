package browsertest

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/order"
)

// decodersJS runs the app's own parsers of outside bytes (order.js decodeOrder, offertoken.js
// parseOfferToken) over every input and reports, per input, "ok" with the fields, or the error's
// kind; an exception that is not the parser's typed error is reported as "throw: ...".
const decodersJS = `(async () => {
  const order = await import('./order.js');
  const tok = await import('./offertoken.js');
  const core = await import('./core.js');
  const orders = %s, tokens = %s;
  const outOrders = orders.map((text) => {
    try {
      const o = order.decodeOrder(text);
      return JSON.stringify({id: o.id, merchant: o.merchantID, name: o.merchantName, city: o.city, mcc: o.mcc, country: o.country,
        terminal: o.terminalID, reference: o.reference, static: o.static, currency: o.currency, minor: o.minor,
        expires: o.expiresAt, key: o.keyID, sig: core.toBase64(o.signature)});
    } catch (e) {
      return e instanceof order.OrderError ? 'error' : 'throw: ' + e;
    }
  });
  const outTokens = tokens.map((b64) => {
    try {
      const t = tok.parseOfferToken(core.fromBase64(b64));
      return JSON.stringify({id: t.id, kind: t.kind, value: t.value, min: t.minSpend, max: t.maxDiscount, currency: t.currency,
        from: t.validFrom, until: t.validUntil});
    } catch (e) {
      return e instanceof tok.OfferTokenError ? 'error' : 'throw: ' + e;
    }
  });
  return [outOrders, outTokens];
})()`

// mutations returns seed and n variants of it: characters replaced, dropped, inserted, the text
// cut; with fixCRC, half of them get a correct CRC again so they reach past the checksum.
func mutations(r *rand.Rand, seed string, n int, fixCRC bool) []string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_. *"
	out := []string{seed}
	for range n {
		b := []byte(seed)
		for k := 1 + r.IntN(2); k > 0 && len(b) > 1; k-- {
			i := r.IntN(len(b))
			switch r.IntN(4) {
			case 0:
				b[i] = alphabet[r.IntN(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			case 2:
				b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
			case 3:
				b = b[:i]
			}
		}
		s := string(b)
		if fixCRC && r.IntN(2) == 0 && len(s) > 8 && strings.Contains(s[len(s)-8:], "6304") {
			body := s[:strings.LastIndex(s, "6304")+4]
			s = body + fmt.Sprintf("%04X", emvqr.CRC16([]byte(body)))
		}
		out = append(out, s)
	}
	return out
}

// TestDecodersMatchGo is the browser parsers' fuzz test, seeded from the flow tests' codes (an
// order, an order with a reference, a sticker, every real-world code of shared/emvqr's testdata,
// a signed offer token) and thousands of fixed-seed mutations: the browser accepts an order or a
// token exactly when shared/order.Decode and shared/offer.Parse do, with the same fields, and never
// fails with anything but its typed error.
func TestDecodersMatchGo(t *testing.T) {
	ctx := newBrowser(t)
	srv := httptest.NewServer(webwallet.Handler())
	defer srv.Close()

	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	exp := time.Date(2026, 12, 6, 9, 5, 0, 0, time.UTC)
	base := order.Order{ID: "ord_3tq7w2mcv4kq5xyd2l6hfp5zaa", MerchantID: "M-1", MerchantName: "Corner Cafe", City: "Online",
		MCC: "5812", Country: "DE", TerminalID: "T-1", Amount: money.Amount{Minor: 1250, Currency: "EUR"}, ExpiresAt: exp}
	withRef := base
	withRef.Reference, withRef.Amount = "INV-881", money.Amount{Minor: 5, Currency: "JPY"}
	sticker := base
	sticker.ID, sticker.Static, sticker.Amount.Minor, sticker.ExpiresAt = "stk_abc", true, 0, time.Time{}
	var seeds []string
	for _, o := range []order.Order{base, withRef, sticker} {
		s, err := order.Sign(o, "k-1", key)
		if err != nil {
			t.Fatal(err)
		}
		text, err := s.MPM()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, text)
	}
	f, err := os.Open("../../../shared/emvqr/testdata/realworld.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, text, ok := strings.Cut(sc.Text(), "\t"); ok && !strings.HasPrefix(name, "#") {
			seeds = append(seeds, text)
		}
	}
	f.Close()
	r := rand.New(rand.NewPCG(17, 2026))
	var orders []string
	for _, s := range seeds {
		orders = append(orders, mutations(r, s, 150, true)...)
	}

	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var tokens []string
	for _, rule := range []offer.Rule{{Kind: offer.KindPercent, Value: 1000, MinSpend: 500, MaxDiscount: 300}, {Kind: offer.KindFixed, Value: 200_000, MinSpend: 300_000}} {
		tk, err := offer.Sign(offer.Token{ID: [offer.IDLen]byte{9, 8, 7}, UserHash: offer.Bind("alice"), MerchHash: offer.Bind("M1"),
			Currency: "EUR", Rule: rule, ValidFrom: from, ValidUntil: from.Add(14 * 24 * time.Hour)}, "k-1", key)
		if err != nil {
			t.Fatal(err)
		}
		seed := tk.Marshal()
		tokens = append(tokens, base64.StdEncoding.EncodeToString(seed))
		for range 600 {
			b := bytes.Clone(seed)
			switch r.IntN(4) {
			case 0, 1:
				b[r.IntN(46)] ^= byte(1 << r.IntN(8)) // the fields before the signature
			case 2:
				b = b[:r.IntN(len(b))]
			case 3:
				b = append(b, byte(r.IntN(256)))
			}
			tokens = append(tokens, base64.StdEncoding.EncodeToString(b))
		}
	}

	oj, _ := json.Marshal(orders)
	tj, _ := json.Marshal(tokens)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+webwallet.Prefix), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[2][]string](fmt.Sprintf(decodersJS, oj, tj), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}

	accepted := 0
	for i, text := range orders {
		want := "error"
		if s, err := order.Decode(text); err == nil {
			accepted++
			w, _ := json.Marshal(map[string]any{"id": s.ID, "merchant": s.MerchantID, "name": s.MerchantName, "city": s.City, "mcc": s.MCC,
				"country": s.Country, "terminal": s.TerminalID, "reference": s.Reference, "static": s.Static, "currency": s.Amount.Currency,
				"minor": s.Amount.Minor, "expires": unixOrZero(s.ExpiresAt), "key": s.KeyID, "sig": base64.StdEncoding.EncodeToString(s.Signature)})
			want = string(w)
		} else if !errors.Is(err, order.ErrMalformed) && !errors.Is(err, order.ErrNotStillpay) && !errors.Is(err, order.ErrNonCanonical) && !errors.Is(err, order.ErrVersion) {
			t.Fatalf("Go: untyped error %v", err)
		}
		if !sameJSON(got[0][i], want) {
			t.Errorf("order input %d %q:\nbrowser %s\nGo      %s", i, text, got[0][i], want)
		}
	}
	tokOK := 0
	for i, b64 := range tokens {
		b, _ := base64.StdEncoding.DecodeString(b64)
		want := "error"
		if tk, err := offer.Parse(b); err == nil {
			tokOK++
			w, _ := json.Marshal(map[string]any{"id": tk.IDString(), "kind": tk.Rule.Kind.String(), "value": tk.Rule.Value, "min": tk.Rule.MinSpend,
				"max": tk.Rule.MaxDiscount, "currency": tk.Currency, "from": tk.ValidFrom.Unix(), "until": tk.ValidUntil.Unix()})
			want = string(w)
		}
		if !sameJSON(got[1][i], want) {
			t.Errorf("token input %d %x:\nbrowser %s\nGo      %s", i, b, got[1][i], want)
		}
	}
	t.Logf("%d order inputs (%d decode), %d token inputs (%d parse)", len(orders), accepted, len(tokens), tokOK)
	if accepted < 10 || tokOK < 10 || accepted == len(orders) || tokOK == len(tokens) {
		t.Fatalf("the corpus does not exercise both outcomes: %d/%d orders, %d/%d tokens", accepted, len(orders), tokOK, len(tokens))
	}
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// sameJSON compares two JSON texts as values ("error" and "throw: ..." as themselves).
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(ax) == string(by)
}
