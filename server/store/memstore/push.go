package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func clonePush(p store.PushSubscription) store.PushSubscription {
	p.P256dh, p.Auth = slices.Clone(p.P256dh), slices.Clone(p.Auth)
	return p
}

func (s *engine) PutPushSubscription(ctx context.Context, p store.PushSubscription) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[p.UserID]; !ok {
		return notFound("user %s", p.UserID)
	}
	if s.push == nil {
		s.push = map[string][]store.PushSubscription{}
	}
	have := s.push[p.UserID]
	drop := ledger.PushEvictions(have, p.Endpoint)
	have = slices.DeleteFunc(slices.Clone(have), func(o store.PushSubscription) bool {
		return o.Endpoint == p.Endpoint || slices.Contains(drop, o.Endpoint)
	})
	have = append(have, clonePush(p))
	slices.SortFunc(have, func(a, b store.PushSubscription) int { return strings.Compare(a.Endpoint, b.Endpoint) })
	s.push[p.UserID] = have
	return nil
}

func (s *engine) ListPushSubscriptions(ctx context.Context, userID string) ([]store.PushSubscription, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.PushSubscription
	for _, p := range s.push[userID] {
		out = append(out, clonePush(p))
	}
	return out, nil
}

func (s *engine) DeletePushSubscription(ctx context.Context, userID, endpoint string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if have, ok := s.push[userID]; ok {
		s.push[userID] = slices.DeleteFunc(have, func(o store.PushSubscription) bool { return o.Endpoint == endpoint })
	}
	return nil
}
