package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

const insertRedemptionsSQL = `INSERT INTO offer_redemptions (token_id, merchant_id, doc)
	SELECT v.token_id, v.merchant_id, v.doc::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS v(token_id, merchant_id, doc)`

// OfferRedeemed looks the token up in its own round trip: offers are rare next to payments, so the
// bulk load does not carry them.
func (s *snapshot) OfferRedeemed(id string) (bool, error) {
	if v, ok := s.redeemed[id]; ok {
		return v, nil
	}
	var found bool
	b := &pgx.Batch{}
	b.Queue(`SELECT EXISTS (SELECT 1 FROM offer_redemptions WHERE token_id = $1)`, id).QueryRow(func(row pgx.Row) error {
		return row.Scan(&found)
	})
	if err := s.tx.SendBatch(s.ctx, b).Close(); err != nil {
		return false, err
	}
	s.markRedeemed(id, found)
	return found, nil
}

func (s *snapshot) markRedeemed(id string, v bool) {
	if s.redeemed == nil {
		s.redeemed = map[string]bool{}
	}
	s.redeemed[id] = v
}

func (s *snapshot) PutRedemption(r store.Redemption) error {
	redeemed, err := s.OfferRedeemed(r.TokenID)
	if err != nil {
		return err
	}
	if redeemed {
		return fmt.Errorf("%w: offer %s already redeemed", store.ErrExists, r.TokenID)
	}
	s.markRedeemed(r.TokenID, true)
	s.newRedemption = append(s.newRedemption, ledger.PrepareRedemption(r))
	return nil
}

func (s *snapshot) queueRedemptions(b *pgx.Batch) error {
	n := len(s.newRedemption)
	if n == 0 {
		return nil
	}
	ids, merchants, docs := make([]string, n), make([]string, n), make([]string, n)
	for i, r := range s.newRedemption {
		raw, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("pgstore: encode redemption: %w", err)
		}
		ids[i], merchants[i], docs[i] = r.TokenID, r.MerchantID, string(raw)
	}
	b.Queue(insertRedemptionsSQL, ids, merchants, docs)
	return nil
}

// MerchantRedemptions implements store.Redemptions.
func (s *engine) MerchantRedemptions(ctx context.Context, merchantID string) ([]store.Redemption, error) {
	rows, err := s.pool.Query(ctx, `SELECT doc FROM offer_redemptions WHERE merchant_id = $1 ORDER BY token_id`, merchantID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanDoc[store.Redemption])
	return out, mapErr(err)
}
