package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/forwarder"
)

// offerToken signs a 10% offer (minimum 5.00, at most 3.00) for user at merchant with r's server key.
func (r *rig) offerToken(t *testing.T, id byte, user, merchant string) []byte {
	t.Helper()
	tok, err := offer.Sign(offer.Token{ID: [offer.IDLen]byte{id}, UserHash: offer.Bind(user), MerchHash: offer.Bind(merchant), Currency: "EUR",
		Rule: offer.Rule{Kind: offer.KindPercent, Value: 1000, MinSpend: 500, MaxDiscount: 300}, ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(23 * time.Hour)},
		r.iss.KeyID, r.iss.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Marshal()
}

func inM1(_ *rig, o *Options) { o.Identity.MerchantID = "M1" }

// TestOfferAppliedOffline: a code carrying the customer's offer is checked offline, the discount is
// applied to the sale (the register sees the gross and the total), printed on the receipt, and queued
// with the gross for the server; the same offer at this terminal again is refused like a reused code.
func TestOfferAppliedOffline(t *testing.T) {
	r := newRig(t, "down", inM1)
	tok := r.offerToken(t, 1, "alice", "M1")
	v := r.sell(t, 2000, r.wallet.CodeWithOffer(now, tok))
	if v.State != SaleApproved || !v.Offline || v.Amount != eur(1800) || v.Gross != 2000 || v.OfferID != "0100000000000000" {
		t.Fatalf("sale: %+v", v)
	}
	text, err := r.ag.ReceiptText(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Subtotal", "20.00", "Offer 0100000000000000", "-€2.00", "TOTAL", "18.00", "OFFLINE APPROVAL"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	out := r.outbox(t)
	if len(out) != 1 {
		t.Fatalf("outbox: %+v", out)
	}
	if it := forwarder.BatchItem(out[0]); it.Gross != 2000 || it.Amount != eur(1800) || it.Kind != protocol.KindOffline {
		t.Errorf("queued item: %+v", it)
	}
	again := r.sell(t, 2000, r.wallet.CodeWithOffer(now, tok))
	if again.State != SaleDeclined || again.Code != protocol.CodeOfferAlreadyUsed {
		t.Errorf("second use at this terminal: %+v, want declined %s", again, protocol.CodeOfferAlreadyUsed)
	}
}

// TestOfferRefusedOffline: an offer that does not apply declines the sale with its code.
func TestOfferRefusedOffline(t *testing.T) {
	r := newRig(t, "down", inM1)
	for _, tc := range []struct {
		name   string
		tok    []byte
		amount int64
		want   protocol.Code
	}{
		{"another merchant's offer", r.offerToken(t, 2, "alice", "M2"), 2000, protocol.CodeOfferInvalid},
		{"another customer's offer", r.offerToken(t, 3, "bob", "M1"), 2000, protocol.CodeOfferInvalid},
		{"below the minimum spend", r.offerToken(t, 4, "alice", "M1"), 400, protocol.CodeOfferInvalid},
	} {
		if v := r.sell(t, tc.amount, r.wallet.CodeWithOffer(now, tc.tok)); v.State != SaleDeclined || v.Code != tc.want {
			t.Errorf("%s: %+v, want declined %s", tc.name, v, tc.want)
		}
	}
}

// TestOfferSentOnline: online, the request carries the discounted amount and the gross.
func TestOfferSentOnline(t *testing.T) {
	r := newRig(t, "approve", inM1)
	v := r.sell(t, 2000, r.wallet.CodeWithOffer(now, r.offerToken(t, 5, "alice", "M1")))
	if v.State != SaleApproved || v.Offline || v.Amount != eur(1800) {
		t.Fatalf("sale: %+v", v)
	}
	if len(r.srv.reqs) != 1 || r.srv.reqs[0].Gross != 2000 || r.srv.reqs[0].Amount != eur(1800) {
		t.Errorf("requests: %+v", r.srv.reqs)
	}
}
