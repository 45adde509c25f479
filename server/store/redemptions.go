package store

import (
	"context"
	"time"
)

// Redemptions is the record of offer tokens redeemed at the POS (docs/offers.md, "Redemption"): an
// approved payment whose payload carried a verified offer token records the token id in the same
// transaction as the payment (ledger.Tx.PutRedemption), so each token is redeemed at most once. It is
// embedded in Store.
type Redemptions interface {
	// MerchantRedemptions returns the redemptions at a merchant, by token id (campaign reports count
	// them against the campaign's token ids).
	MerchantRedemptions(ctx context.Context, merchantID string) ([]Redemption, error)
}

// OfferUse is the offer a payment op redeems: the service verified the token and computed the
// discount; the store refuses the op with offer_already_redeemed when the token id is already
// redeemed, and records the redemption with the approval otherwise.
type OfferUse struct {
	TokenID  string // hex, shared/offer Token.IDString
	Gross    int64  // the sale before the discount, minor units of the op's currency
	Discount int64  // Gross − Amount
}

// Redemption is one redeemed offer token.
type Redemption struct {
	TokenID    string    `json:"token_id"`
	MerchantID string    `json:"merchant_id"`
	UserID     string    `json:"user_id"`
	Key        TxnKey    `json:"key"` // the payment that redeemed it
	Currency   string    `json:"currency"`
	Gross      int64     `json:"gross"`
	Discount   int64     `json:"discount"`
	At         time.Time `json:"at"` // when the payment was approved (the terminal's clock offline)
}
