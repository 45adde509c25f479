package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Redeemed offer tokens (created with flow 3's buckets, migrateOffers).
var (
	bktRedemptions     = []byte("offer_redemptions")            // token id → Redemption
	bktRedemptionByMer = []byte("offer_redemption_by_merchant") // merchant \0 token id → empty
)

func (t ltx) OfferRedeemed(id string) (bool, error) {
	return t.tx.Bucket(bktRedemptions).Get([]byte(id)) != nil, nil
}

func (t ltx) PutRedemption(r store.Redemption) error {
	b := t.tx.Bucket(bktRedemptions)
	if b.Get([]byte(r.TokenID)) != nil {
		return abort(fmt.Errorf("%w: offer %s already redeemed", store.ErrExists, r.TokenID))
	}
	if err := putJSON(b, []byte(r.TokenID), ledger.PrepareRedemption(r)); err != nil {
		return err
	}
	return abort(t.tx.Bucket(bktRedemptionByMer).Put(pair(r.MerchantID, r.TokenID), nil))
}

// MerchantRedemptions implements store.Redemptions.
func (s *engine) MerchantRedemptions(ctx context.Context, merchantID string) ([]store.Redemption, error) {
	var out []store.Redemption
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := pair(merchantID, "")
		c := tx.Bucket(bktRedemptionByMer).Cursor()
		rb := tx.Bucket(bktRedemptions)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := string(k[len(prefix):])
			var r store.Redemption
			if err := getJSON(rb, []byte(id), "redemption "+id, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
