package offline

import (
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// OfferSeenPrefix prefixes an offer token id in the seen-codes list, so a token used at this
// terminal is refused a second time like a reused payment code.
const OfferSeenPrefix = "offer:"

// AppliedOffer is an offer a sale redeems.
type AppliedOffer struct {
	TokenID    string // hex
	Discount   int64  // minor units off the gross
	ValidUntil time.Time
}

// SeenKey is the token's key in the seen-codes list.
func (o AppliedOffer) SeenKey() string { return OfferSeenPrefix + o.TokenID }

// CheckOffer checks the offer token of p offline, as the server does at settlement (docs/offers.md,
// "Redemption"): signed by one of the server keys the terminal trusts, valid at the time step the
// phone signed into the code, bound to the code's user and to this terminal's merchant, in the sale's
// currency, gross at least the minimum spend. It returns the discount on gross. A payload without an
// offer returns the zero AppliedOffer and nil.
func CheckOffer(keys []protocol.ServerKey, p *payload.Payload, merchantID string, gross money.Amount) (AppliedOffer, error) {
	if len(p.Offer) == 0 {
		return AppliedOffer{}, nil
	}
	tok, err := offer.Parse(p.Offer)
	if err != nil {
		return AppliedOffer{}, decline(protocol.CodeOfferInvalid, err, "the offer in this code is unreadable: %v", err)
	}
	set := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		set[k.KeyID] = ed25519.PublicKey(k.PublicKey)
	}
	codeTime := time.Unix(int64(p.Step)*otp.StepSeconds, 0)
	switch err := tok.VerifyDuring(set, codeTime, otp.StepSeconds*time.Second); {
	case errors.Is(err, offer.ErrExpired), errors.Is(err, offer.ErrNotYetValid):
		return AppliedOffer{}, decline(protocol.CodeOfferExpired, err, "the offer is not valid now: %v", err)
	case err != nil:
		return AppliedOffer{}, decline(protocol.CodeOfferInvalid, err, "the offer does not verify: %v", err)
	}
	d, err := tok.Discount(p.UserID, merchantID, gross)
	if err != nil {
		return AppliedOffer{}, decline(protocol.CodeOfferInvalid, err, "the offer does not apply to this sale: %v", err)
	}
	return AppliedOffer{TokenID: tok.IDString(), Discount: d, ValidUntil: tok.ValidUntil}, nil
}
