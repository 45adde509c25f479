package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (m memTx) OfferRedeemed(id string) (bool, error) {
	_, ok := m.s.redeemed[id]
	return ok, nil
}

func (m memTx) PutRedemption(r store.Redemption) error {
	if _, ok := m.s.redeemed[r.TokenID]; ok {
		return fmt.Errorf("%w: offer %s already redeemed", store.ErrExists, r.TokenID)
	}
	if m.s.redeemed == nil {
		m.s.redeemed = map[string]store.Redemption{}
	}
	m.s.redeemed[r.TokenID] = ledger.PrepareRedemption(r)
	return nil
}

// MerchantRedemptions implements store.Redemptions.
func (s *engine) MerchantRedemptions(ctx context.Context, merchantID string) ([]store.Redemption, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Redemption
	for _, r := range s.redeemed {
		if r.MerchantID == merchantID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Redemption) int { return strings.Compare(a.TokenID, b.TokenID) })
	return out, nil
}
