package ledger

import (
	"fmt"

	"github.com/stillpay/stillpay/server/store"
)

// validOfferUse checks op.Offer: only on a payment, a token id, and Gross = Amount + Discount with a
// positive discount (the service computed it from the verified token).
func validOfferUse(op store.PaymentOp) error {
	u := op.Offer
	if u == nil {
		return nil
	}
	if op.Kind != store.OpPayment {
		return fmt.Errorf("%w: an offer on a %s", store.ErrInvalidArgument, op.Kind)
	}
	if err := ValidID("offer token id", u.TokenID); err != nil {
		return err
	}
	if u.Discount <= 0 || u.Gross-u.Discount != op.Amount.Minor {
		return fmt.Errorf("%w: offer gross %d, discount %d, amount %d", store.ErrInvalidArgument, u.Gross, u.Discount, op.Amount.Minor)
	}
	return nil
}

// PrepareRedemption normalises a redemption's time for storing.
func PrepareRedemption(r store.Redemption) store.Redemption {
	r.At = Norm(r.At)
	return r
}
