package offline

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestCheckOffer(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	keys := []protocol.ServerKey{{KeyID: "k1", PublicKey: pub}}
	from := now.Add(-time.Hour).Truncate(time.Second)
	signFrom := func(user, merchant string, priv ed25519.PrivateKey, from, until time.Time) []byte {
		tok, err := offer.Sign(offer.Token{ID: [offer.IDLen]byte{1, 2, 3, 4, 5, 6, 7, 8}, UserHash: offer.Bind(user), MerchHash: offer.Bind(merchant),
			Currency: "EUR", Rule: offer.Rule{Kind: offer.KindPercent, Value: 1000, MinSpend: 500, MaxDiscount: 300}, ValidFrom: from, ValidUntil: until}, "k1", priv)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Marshal()
	}
	sign := func(user, merchant string, priv ed25519.PrivateKey, until time.Time) []byte {
		return signFrom(user, merchant, priv, from, until)
	}
	day := from.Add(24 * time.Hour)
	// A campaign launched 10 s into a code's 30 s time step: a code of that step carries the offer.
	midStep := signFrom("alice", "M1", priv, from.Add(10*time.Second), day.Add(10*time.Second))
	good := sign("alice", "M1", priv, day)
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name  string
		tok   []byte
		at    time.Time
		gross money.Amount
		want  protocol.Code // "" applies
		disc  int64
	}{
		{"no offer", nil, now, eur(1000), "", 0},
		{"applies", good, now, eur(1000), "", 100},
		{"capped at the maximum discount", good, now, eur(5000), "", 300},
		{"below the minimum spend", good, now, eur(499), protocol.CodeOfferInvalid, 0},
		{"another currency", good, now, money.Amount{Minor: 1000, Currency: "USD"}, protocol.CodeOfferInvalid, 0},
		{"code made after the validity", good, day.Add(time.Minute), eur(1000), protocol.CodeOfferExpired, 0},
		{"code made before the validity", good, from.Add(-time.Minute), eur(1000), protocol.CodeOfferExpired, 0},
		{"code of the step in which the validity starts", midStep, from.Add(15 * time.Second), eur(1000), "", 100},
		{"code of the step before the validity", midStep, from.Add(-15 * time.Second), eur(1000), protocol.CodeOfferExpired, 0},
		{"another user's offer", sign("bob", "M1", priv, day), now, eur(1000), protocol.CodeOfferInvalid, 0},
		{"another merchant's offer", sign("alice", "M2", priv, day), now, eur(1000), protocol.CodeOfferInvalid, 0},
		{"signed by a key the terminal does not trust", sign("alice", "M1", otherPriv, day), now, eur(1000), protocol.CodeOfferInvalid, 0},
		{"tampered signature", tampered, now, eur(1000), protocol.CodeOfferInvalid, 0},
		{"unreadable", good[:50], now, eur(1000), protocol.CodeOfferInvalid, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &payload.Payload{UserID: "alice", Offer: tc.tok, Step: uint64(tc.at.Unix() / otp.StepSeconds)}
			got, err := CheckOffer(keys, p, "M1", tc.gross)
			if tc.want == "" {
				if err != nil || got.Discount != tc.disc {
					t.Fatalf("got %+v %v, want a discount of %d", got, err, tc.disc)
				}
				if tc.tok != nil && (got.TokenID != "0102030405060708" || got.SeenKey() != "offer:0102030405060708" || got.ValidUntil.Sub(day) > 10*time.Second) {
					t.Errorf("applied %+v", got)
				}
				return
			}
			var d *Decline
			if !errors.As(err, &d) || d.Code != tc.want || !errors.Is(err, ErrDeclined) {
				t.Fatalf("got %+v %v, want decline %s", got, err, tc.want)
			}
		})
	}
}
