package service

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// checkOffer decides the offer of a payment whose code checked out (docs/offers.md, "Redemption"). A
// request with a gross redeems the payload's offer token: the token must carry this server's
// signature, be valid at the time the phone signed into the code, be bound to the paying user and
// this terminal's merchant, and the gross must reach its minimum spend; the amount must be the gross
// less the discount. The store then records the token as redeemed once, with the payment. A payload
// with an offer but a request without a gross (a terminal that does not apply offers) pays the amount
// and redeems nothing. It returns a decline code and message, or "".
func (s *Service) checkOffer(t store.Terminal, w *work, p *payload.Payload) (protocol.Code, string) {
	r := w.req
	if len(p.Offer) == 0 {
		if r.Gross != 0 {
			return protocol.CodeOfferInvalid, "gross is set but the payment code carries no offer"
		}
		return "", ""
	}
	if r.Gross == 0 {
		return "", ""
	}
	tok, err := offer.Parse(p.Offer)
	if err != nil {
		return protocol.CodeOfferInvalid, err.Error()
	}
	codeTime := time.Unix(int64(p.Step)*otp.StepSeconds, 0)
	switch err := tok.VerifyDuring(s.offerKeys(), codeTime, otp.StepSeconds*time.Second); {
	case errors.Is(err, offer.ErrExpired), errors.Is(err, offer.ErrNotYetValid):
		return protocol.CodeOfferExpired, err.Error()
	case err != nil:
		return protocol.CodeOfferInvalid, err.Error()
	}
	d, err := tok.Discount(w.userID, t.MerchantID, money.Amount{Minor: r.Gross, Currency: r.Amount.Currency})
	if err != nil {
		return protocol.CodeOfferInvalid, err.Error()
	}
	if r.Gross-d != r.Amount.Minor {
		return protocol.CodeOfferInvalid, fmt.Sprintf("amount %d is not the gross %d less the offer's discount %d", r.Amount.Minor, r.Gross, d)
	}
	w.op.Offer = &store.OfferUse{TokenID: tok.IDString(), Gross: r.Gross, Discount: d}
	return "", ""
}

// offerKeys are the server's public keys by id, as offer.Token.Verify takes them.
func (s *Service) offerKeys() map[string]ed25519.PublicKey {
	keys := map[string]ed25519.PublicKey{}
	for _, k := range s.keys.Public() {
		keys[k.KeyID] = ed25519.PublicKey(k.PublicKey)
	}
	return keys
}

// redeemed counts the campaign's offer tokens (one per message) that a payment redeemed.
func (s *Service) redeemed(ctx context.Context, merchantID string, msgs []store.OfferMessage) (int, error) {
	rs, err := s.store.MerchantRedemptions(ctx, merchantID)
	if err != nil {
		return 0, err
	}
	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[m.TokenID] = true
	}
	n := 0
	for _, r := range rs {
		if ids[r.TokenID] {
			n++
		}
	}
	return n, nil
}
