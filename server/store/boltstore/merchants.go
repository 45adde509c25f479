package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateMerchant(ctx context.Context, m store.Merchant) (store.Merchant, error) {
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktMerchants).Get([]byte(m.ID)) != nil {
			return fmt.Errorf("%w: merchant %s", store.ErrExists, m.ID)
		}
		if tx.Bucket(bktAccounts).Get([]byte(m.AccountID)) != nil {
			return fmt.Errorf("%w: account %s", store.ErrExists, m.AccountID)
		}
		if err := putJSON(tx.Bucket(bktMerchants), []byte(m.ID), m); err != nil {
			return err
		}
		return putAccount(tx, ledger.MerchantAccount(m))
	})
	if err != nil {
		return store.Merchant{}, err
	}
	return m, nil
}

func (s *engine) GetMerchant(ctx context.Context, id string) (store.Merchant, error) {
	var m store.Merchant
	err := s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bktMerchants), []byte(id), "merchant "+id, &m)
	})
	return m, err
}

func (s *engine) ListMerchants(ctx context.Context, p store.Page) ([]store.Merchant, error) {
	return listByID[store.Merchant](s.db, bktMerchants, p)
}

// listByID pages through a bucket keyed by id.
func listByID[T any](db *bolt.DB, bucket []byte, p store.Page) ([]T, error) {
	n := p.Limit
	var out []T
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		k, v := c.Seek([]byte(p.AfterID))
		if k != nil && p.AfterID != "" && string(k) == p.AfterID {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < n; k, v = c.Next() {
			var rec T
			if err := getJSONRaw(v, string(k), &rec); err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}
