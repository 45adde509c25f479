package order

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Fixed keys: Ed25519 is deterministic, so the golden texts are stable.
var (
	serverKey = ed25519.NewKeyFromSeed(bytesOf(1))
	otherKey  = ed25519.NewKeyFromSeed(bytesOf(2))
	deviceKey = ed25519.NewKeyFromSeed(bytesOf(3))
	now       = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	keys      = credential.KeySet{"k-2026-12": serverKey.Public().(ed25519.PublicKey)}.Lookup
)

func bytesOf(b byte) []byte {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = b
	}
	return s
}

func sampleOrder() Order {
	return Order{
		ID:           "ord_3tq7w2mcv4kq5xyd2l6hfp5zaa",
		MerchantID:   "M-1",
		MerchantName: "Corner Cafe",
		City:         "Berlin",
		MCC:          "5814",
		Country:      "DE",
		TerminalID:   "T-1",
		Amount:       money.Amount{Minor: 1250, Currency: "EUR"},
		Reference:    "INV-881",
		ExpiresAt:    now.Add(5 * time.Minute),
	}
}

func sampleSticker() Order {
	o := sampleOrder()
	o.ID, o.Static, o.Amount, o.Reference, o.ExpiresAt = "stk_lane1", true, money.Amount{Currency: "EUR"}, "", time.Time{}
	return o
}

func mustSign(t testing.TB, o Order) (Signed, string) {
	t.Helper()
	s, err := Sign(o, "k-2026-12", serverKey)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	text, err := s.MPM()
	if err != nil {
		t.Fatalf("MPM: %v", err)
	}
	return s, text
}

// recrc replaces the CRC of an edited text, so that the edit reaches the signature check.
func recrc(text string) string {
	body := text[:len(text)-4]
	return body + fmt.Sprintf("%04X", emvqr.CRC16([]byte(body)))
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, o := range []Order{sampleOrder(), sampleSticker(), func() Order { o := sampleOrder(); o.Reference = ""; return o }()} {
		s, text := mustSign(t, o)
		got, err := Parse(text, keys, now)
		if err != nil {
			t.Fatalf("Parse(%s): %v", text, err)
		}
		if got.Order != s.Order || got.KeyID != s.KeyID || string(got.Signature) != string(s.Signature) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
		}
		// Any EMVCo reader sees the merchant, the city, the amount.
		c, err := emvqr.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		sum := c.Summarize()
		wantAmount := "12.50"
		if o.Static {
			wantAmount = ""
		}
		if sum.MerchantName != "Corner Cafe" || sum.MerchantCity != "Berlin" || sum.Currency != "EUR" || sum.Amount != wantAmount || sum.Static != o.Static {
			t.Fatalf("summary %+v", sum)
		}
	}
}

// TestGolden pins the text and the signed bytes of the sample order (docs/protocol.md shows them).
func TestGolden(t *testing.T) {
	t.Parallel()
	s, text := mustSign(t, sampleOrder())
	c := Confirmation{OrderID: s.ID, MerchantID: s.MerchantID, Amount: s.Amount, AccountID: "ACC-1", OrderSignatureSHA256: s.SignatureSHA256()}
	cb, err := ConfirmationBytes(c)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("mpm %s\nsigned %s\nconfirmation %s\n", text, hex.EncodeToString(s.SignedBytes()), hex.EncodeToString(cb))
	const path = "testdata/order.golden"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Fatalf("golden mismatch:\n got %s\nwant %s", got, want)
	}
	if !strings.HasPrefix(text, "00020101021226") || !strings.Contains(text, "0012com.stillpay") {
		t.Fatalf("text %s", text)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	s, text := mustSign(t, sampleOrder())
	_, sticker := mustSign(t, sampleSticker())
	replace := func(old, new string) string {
		if !strings.Contains(text, old) {
			t.Fatalf("%q not in %s", old, text)
		}
		return recrc(strings.Replace(text, old, new, 1))
	}
	otherSigned, err := Sign(sampleOrder(), "k-2026-12", otherKey)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := otherSigned.MPM()
	cheaper := sampleOrder()
	cheaper.Amount.Minor = 125
	cheap, _ := mustSign(t, cheaper)
	spliced := s
	spliced.Signature = cheap.Signature // another order's signature
	splicedText, err := spliced.MPM()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		text  string
		now   time.Time
		want  error
		emvqr error
	}{
		{"changed amount", replace("540512.50", "540599.50"), now, ErrSignature, nil},
		{"changed amount and length", replace("540512.50", "5406112.50"), now, ErrSignature, nil},
		{"look-alike name", replace("5911Corner Cafe", "5911C0rner Cafe"), now, ErrSignature, nil},
		{"other merchant id", replace("0203M-1", "0203M-2"), now, ErrSignature, nil},
		{"later expiry", replace(fmt.Sprint(now.Add(5*time.Minute).Unix()), fmt.Sprint(now.Add(50*time.Minute).Unix())), now, ErrSignature, nil},
		{"another order's signature", splicedText, now, ErrSignature, nil},
		{"forged by another key", forged, now, ErrSignature, nil},
		{"unknown key id", replace("0209k-2026-12", "0209k-2026-99"), now, ErrUnknownKey, nil},
		{"expired", text, now.Add(5 * time.Minute), ErrExpired, nil},
		{"dynamic made static", replace("010212", "010211"), now, ErrNonCanonical, nil},
		{"dynamic made a sticker", recrc(strings.Replace(strings.Replace(text, "010212", "010211", 1), "540512.50", "", 1)), now, ErrSignature, nil},
		{"sticker with an amount", recrc(strings.Replace(sticker, "5802DE", "540512.505802DE", 1)), now, ErrNonCanonical, nil},
		{"lower-case CRC", text[:len(text)-4] + strings.ToLower(text[len(text)-4:]), now, ErrNonCanonical, nil},
		{"extra object", recrc(strings.Replace(text, "5802DE", "5802DE610510115", 1)), now, ErrNonCanonical, nil},
		{"upper-case GUI", replace("0012com.stillpay0130", "0012COM.STILLPAY0130"), now, ErrNonCanonical, nil},
		{"version 2", replace("01011", "01012"), now, ErrVersion, nil},
		{"signature not Base64", func() string { i := strings.Index(text, "0343"); return recrc(text[:i+4] + "!" + text[i+5:]) }(), now, ErrMalformed, nil},
		{"bad CRC", text[:len(text)-4] + "0000", now, ErrMalformed, emvqr.ErrCRC},
		{"garbage", strings.Repeat("\x00garbage!", 556), now, ErrMalformed, emvqr.ErrTooLong},
		{"empty", "", now, ErrMalformed, emvqr.ErrMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.text, keys, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %+v, %v; want %v", got, err, tc.want)
			}
			if tc.emvqr != nil && !errors.Is(err, tc.emvqr) {
				t.Fatalf("error %v does not wrap %v", err, tc.emvqr)
			}
		})
	}
}

// TestEveryFieldIsSigned changes each field of Order (and the key id) in turn: the signed bytes
// must change every time, so a field added to Order without being signed fails here.
func TestEveryFieldIsSigned(t *testing.T) {
	t.Parallel()
	base := Signed{Order: sampleOrder(), KeyID: "k-2026-12"}
	want := string(base.SignedBytes())
	rv := reflect.ValueOf(&base.Order).Elem()
	for i := 0; i < rv.NumField(); i++ {
		s := base
		f := reflect.ValueOf(&s.Order).Elem().Field(i)
		switch v := f.Addr().Interface().(type) {
		case *string:
			*v += "x"
		case *bool:
			*v = !*v
		case *money.Amount:
			v.Minor++
		case *time.Time:
			*v = v.Add(time.Second)
		default:
			t.Fatalf("field %s of type %T: teach this test how to change it", rv.Type().Field(i).Name, v)
		}
		if string(s.SignedBytes()) == want {
			t.Errorf("changing %s does not change the signed bytes", rv.Type().Field(i).Name)
		}
	}
	other := base
	other.KeyID = "k-2027-01"
	if string(other.SignedBytes()) == want {
		t.Error("changing the key id does not change the signed bytes")
	}
	cur := base
	cur.Amount.Currency = "USD"
	if string(cur.SignedBytes()) == want {
		t.Error("changing the currency does not change the signed bytes")
	}
}
