package order

import (
	"bufio"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestSignRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*Order)
	}{
		{"no id", func(o *Order) { o.ID = "" }},
		{"id with a space", func(o *Order) { o.ID = "ord 1" }},
		{"id too long", func(o *Order) { o.ID = strings.Repeat("a", MaxOrderIDLen+1) }},
		{"merchant id too long", func(o *Order) { o.MerchantID = strings.Repeat("m", MaxMerchantIDLen+1) }},
		{"terminal id too long", func(o *Order) { o.TerminalID = strings.Repeat("t", MaxTerminalIDLen+1) }},
		{"no name", func(o *Order) { o.MerchantName = "" }},
		{"name too long", func(o *Order) { o.MerchantName = strings.Repeat("n", MaxMerchantNameLen+1) }},
		{"name not ASCII", func(o *Order) { o.MerchantName = "Café" }},
		{"city too long", func(o *Order) { o.City = strings.Repeat("c", MaxCityLen+1) }},
		{"reference too long", func(o *Order) { o.Reference = strings.Repeat("r", MaxReferenceLen+1) }},
		{"reference with a newline", func(o *Order) { o.Reference = "a\nb" }},
		{"MCC", func(o *Order) { o.MCC = "58a4" }},
		{"country", func(o *Order) { o.Country = "de" }},
		{"unknown currency", func(o *Order) { o.Amount.Currency = "XXX" }},
		{"zero amount", func(o *Order) { o.Amount.Minor = 0 }},
		{"negative amount", func(o *Order) { o.Amount.Minor = -5 }},
		{"amount too long for tag 54", func(o *Order) { o.Amount.Minor = 1_000_000_000_000 }},
		{"no expiry", func(o *Order) { o.ExpiresAt = time.Time{} }},
		{"sticker with an amount", func(o *Order) { o.Static = true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := sampleOrder()
			tc.edit(&o)
			if s, err := Sign(o, "k-2026-12", serverKey); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Sign = %+v, %v; want ErrInvalid", s, err)
			}
		})
	}
	if _, err := Sign(sampleOrder(), "", serverKey); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty key id: %v", err)
	}
	if _, err := Sign(sampleOrder(), "k", serverKey[:10]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := (Signed{Order: sampleOrder(), KeyID: "k"}).MPM(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unsigned MPM: %v", err)
	}
}

// TestOtherSchemes: every real-world code of shared/emvqr's testdata is "not a stillpay order",
// with its merchant name, city and amount.
func TestOtherSchemes(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../emvqr/testdata/realworld.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		n++
		_, err := Parse(text, keys, now)
		var other *NotStillpayError
		if !errors.As(err, &other) || !errors.Is(err, ErrNotStillpay) {
			t.Errorf("%s: %v, want a *NotStillpayError", name, err)
			continue
		}
		if other.Summary.Currency == "" || !strings.Contains(err.Error(), "not a stillpay order") {
			t.Errorf("%s: summary %+v, message %q", name, other.Summary, err)
		}
	}
	if n < 12 {
		t.Fatalf("only %d real-world codes", n)
	}
	// One checked field by field.
	_, err = Decode("00020101021226720014br.gov.bcb.pix2550bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd4415204000053039865406123.455802BR5913Fulano de Tal6008BRASILIA62190515RP12345678-2019630445C8")
	var other *NotStillpayError
	if !errors.As(err, &other) || other.Summary.MerchantName != "Fulano de Tal" || other.Summary.MerchantCity != "BRASILIA" ||
		other.Summary.Amount != "123.45" || other.Summary.Currency != "BRL" {
		t.Fatalf("Pix: %v", err)
	}
}

func TestConfirmation(t *testing.T) {
	t.Parallel()
	s, _ := mustSign(t, sampleOrder())
	c, err := ConfirmationFor(s, s.ID, "ACC-1", s.Amount)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := c.Sign(deviceKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := deviceKey.Public().(ed25519.PublicKey)
	if err := VerifyConfirmation(c, pub, sig); err != nil {
		t.Fatalf("VerifyConfirmation: %v", err)
	}
	other, _ := mustSign(t, func() Order { o := sampleOrder(); o.ID = "ord_other"; return o }())
	tampered := []struct {
		name string
		edit func(*Confirmation)
	}{
		{"amount", func(c *Confirmation) { c.Amount.Minor++ }},
		{"currency", func(c *Confirmation) { c.Amount.Currency = "USD" }},
		{"order", func(c *Confirmation) { c.OrderID = "ord_other" }},
		{"merchant", func(c *Confirmation) { c.MerchantID = "M-2" }},
		{"account", func(c *Confirmation) { c.AccountID = "ACC-2" }},
		{"another order's signature", func(c *Confirmation) { c.OrderSignatureSHA256 = other.SignatureSHA256() }},
	}
	for _, tc := range tampered {
		t.Run(tc.name, func(t *testing.T) {
			d := c
			tc.edit(&d)
			if err := VerifyConfirmation(d, pub, sig); !errors.Is(err, ErrConfirmationSignature) {
				t.Fatalf("VerifyConfirmation = %v, want ErrConfirmationSignature", err)
			}
		})
	}
	if err := VerifyConfirmation(c, ed25519.PublicKey(pub[:5]), sig); !errors.Is(err, ErrConfirmationSignature) {
		t.Fatalf("short key: %v", err)
	}
	// ConfirmationFor refuses what the order does not say.
	if _, err := ConfirmationFor(s, s.ID, "ACC-1", money.Amount{Minor: 1, Currency: "EUR"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("other amount: %v", err)
	}
	if _, err := ConfirmationFor(s, "ord_x", "ACC-1", s.Amount); !errors.Is(err, ErrInvalid) {
		t.Fatalf("other order id: %v", err)
	}
	if _, err := ConfirmationFor(s, s.ID, "", s.Amount); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no account: %v", err)
	}
	// A sticker: the entered amount, in the sticker's currency, for the derived order id.
	st, _ := mustSign(t, sampleSticker())
	id := protocol.StaticOrderID(st.ID, "p-1")
	if _, err := ConfirmationFor(st, id, "ACC-1", money.Amount{Minor: 480, Currency: "EUR"}); err != nil {
		t.Fatalf("sticker: %v", err)
	}
	for _, a := range []money.Amount{{Minor: 480, Currency: "USD"}, {Minor: 0, Currency: "EUR"}, {Minor: -1, Currency: "EUR"}} {
		if _, err := ConfirmationFor(st, id, "ACC-1", a); !errors.Is(err, ErrInvalid) {
			t.Fatalf("sticker amount %v: %v", a, err)
		}
	}
}

// TestKeyRotation: an order signed with a key the wallet learned through an endorsement verifies;
// one signed with a key nobody endorsed does not.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	created := now.Add(-time.Hour)
	oldPub := serverKey.Public().(ed25519.PublicKey)
	trusted := []protocol.ServerKey{{KeyID: "k-2026-12", PublicKey: oldPub, Created: created}}
	newPriv := ed25519.NewKeyFromSeed(bytesOf(9))
	rotated := protocol.EndorseKey(protocol.ServerKey{KeyID: "k-2027-01", PublicKey: newPriv.Public().(ed25519.PublicKey), Created: now, Current: true},
		"k-2026-12", serverKey)
	rogue := protocol.ServerKey{KeyID: "k-rogue", PublicKey: otherKey.Public().(ed25519.PublicKey), Created: now}
	merged, added, err := protocol.AcceptKeys(trusted, []protocol.ServerKey{trusted[0], rotated, rogue})
	if len(added) != 1 || added[0] != "k-2027-01" || !errors.Is(err, protocol.ErrKeyNotEndorsed) {
		t.Fatalf("AcceptKeys: added %v, err %v", added, err)
	}
	lookup := credential.KeySetFrom(merged).Lookup

	s, err := Sign(sampleOrder(), "k-2027-01", newPriv)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := s.MPM()
	if _, err := Parse(text, lookup, now); err != nil {
		t.Fatalf("order signed with the endorsed key: %v", err)
	}
	r, _ := Sign(sampleOrder(), "k-rogue", otherKey)
	rtext, _ := r.MPM()
	if _, err := Parse(rtext, lookup, now); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("order signed with an unendorsed key: %v, want ErrUnknownKey", err)
	}
	if _, err := Parse(text, nil, now); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("no key lookup at all: %v, want ErrUnknownKey", err)
	}
}

// TestQRVersion records the QR version go-qrcode chooses for orders at error-correction level M
// (docs/protocol.md "Size"): the typical order and the largest one the limits allow.
func TestQRVersion(t *testing.T) {
	t.Parallel()
	_, typical := mustSign(t, sampleOrder())
	_, sticker := mustSign(t, sampleSticker())
	big := sampleOrder()
	big.ID = strings.Repeat("o", MaxOrderIDLen)
	big.MerchantID = strings.Repeat("m", MaxMerchantIDLen)
	big.MerchantName = strings.Repeat("N", MaxMerchantNameLen)
	big.City = strings.Repeat("C", MaxCityLen)
	big.TerminalID = strings.Repeat("t", MaxTerminalIDLen)
	big.Reference = strings.Repeat("r", MaxReferenceLen)
	big.Amount.Minor = 999_999_999_99
	_, largest := func() (Signed, string) {
		s, err := Sign(big, strings.Repeat("k", MaxKeyIDLen), serverKey)
		if err != nil {
			t.Fatal(err)
		}
		text, err := s.MPM()
		if err != nil {
			t.Fatal(err)
		}
		return s, text
	}()
	// go-qrcode's High is ISO level Q, which posagent prints orders at when the modules stay large
	// enough (hardware/escpos SizePhoneQR), else M.
	cases := []struct {
		name     string
		text     string
		chars    int
		versionM int
		versionQ int
	}{
		{"typical order", typical, 324, 13, 16},
		{"sticker", sticker, 269, 12, 15},
		{"largest order", largest, 443, 15, 19},
	}
	for _, tc := range cases {
		m, err := qrcode.New(tc.text, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		q, err := qrcode.New(tc.text, qrcode.High)
		if err != nil {
			t.Fatal(err)
		}
		if len(tc.text) != tc.chars || m.VersionNumber != tc.versionM || q.VersionNumber != tc.versionQ {
			t.Errorf("%s: %d characters, version %d at M and %d at Q; want %d characters, %d and %d",
				tc.name, len(tc.text), m.VersionNumber, q.VersionNumber, tc.chars, tc.versionM, tc.versionQ)
		}
	}
}

func FuzzDecode(f *testing.F) {
	_, text := mustSign(f, sampleOrder())
	_, sticker := mustSign(f, sampleSticker())
	f.Add(text)
	f.Add(sticker)
	f.Add(strings.Replace(text, "540512.50", "540599.50", 1))
	f.Add("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Decode(s)
		if err != nil {
			var other *NotStillpayError
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNonCanonical) && !errors.Is(err, ErrVersion) && !errors.As(err, &other) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := got.MPM()
		if err != nil || again != s {
			t.Fatalf("decoded order does not re-encode to its text: %v", err)
		}
		_ = got.Verify(keys, now)
	})
}
