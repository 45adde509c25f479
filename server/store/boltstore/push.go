package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// bktPushSubs holds the web wallets' push subscriptions: user \0 endpoint → PushSubscription.
var bktPushSubs = []byte("push_subscriptions")

func pushPrefix(userID string) []byte { return append([]byte(userID), 0) }

// userPush reads a user's subscriptions in endpoint order.
func userPush(tx *bolt.Tx, userID string) ([]store.PushSubscription, error) {
	var out []store.PushSubscription
	pre := pushPrefix(userID)
	c := tx.Bucket(bktPushSubs).Cursor()
	for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
		var p store.PushSubscription
		if err := getJSONRaw(v, "push subscription of "+userID, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *engine) PutPushSubscription(ctx context.Context, p store.PushSubscription) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktUsers).Get([]byte(p.UserID)) == nil {
			return fmt.Errorf("%w: user %s", store.ErrNotFound, p.UserID)
		}
		have, err := userPush(tx, p.UserID)
		if err != nil {
			return abort(err)
		}
		b := tx.Bucket(bktPushSubs)
		for _, e := range ledger.PushEvictions(have, p.Endpoint) {
			if err := b.Delete(append(pushPrefix(p.UserID), e...)); err != nil {
				return abort(err)
			}
		}
		return putJSON(b, append(pushPrefix(p.UserID), p.Endpoint...), p)
	})
}

func (s *engine) ListPushSubscriptions(ctx context.Context, userID string) ([]store.PushSubscription, error) {
	var out []store.PushSubscription
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = userPush(tx, userID)
		return err
	})
	return out, err
}

func (s *engine) DeletePushSubscription(ctx context.Context, userID, endpoint string) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		return abort(tx.Bucket(bktPushSubs).Delete(append(pushPrefix(userID), endpoint...)))
	})
}
