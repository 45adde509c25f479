package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Web Push of new offers to the web wallet (docs/wallet.md, "Web Push"). The server sends pushes
// only when it was given a push.Sender (settlementd serve --push-contact); otherwise the push routes
// answer 404 push_unavailable and the wallet hides its switch.

// pushOff is the answer of the push routes on a server that sends no pushes.
func pushOff() *protocol.Problem {
	return problem(http.StatusNotFound, protocol.CodePushUnavailable, "this server sends no push notifications")
}

// PushKey answers the VAPID public key the wallet subscribes with.
func (s *Service) PushKey(ctx context.Context, bearer string) (protocol.PushKey, error) {
	if _, err := s.session(ctx, bearer); err != nil {
		return protocol.PushKey{}, err
	}
	if s.push == nil {
		return protocol.PushKey{}, pushOff()
	}
	return protocol.PushKey{VAPIDPublicKey: s.push.PublicKey()}, nil
}

// RegisterPush stores the session user's browser subscription (body: PushSubscription.toJSON()).
func (s *Service) RegisterPush(ctx context.Context, bearer string, body []byte) error {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return err
	}
	if s.push == nil {
		return pushOff()
	}
	sub, err := protocol.ParsePushSubscription(body, s.pushLoopback)
	if errors.Is(err, protocol.ErrMalformedPush) {
		return problem(http.StatusBadRequest, protocol.CodeMalformedJSON, "%v", err)
	}
	if p := protocol.FieldProblem(err); p != nil {
		return p
	}
	err = s.store.PutPushSubscription(ctx, store.PushSubscription{UserID: sess.UserID, Endpoint: sub.Endpoint,
		P256dh: sub.P256dh, Auth: sub.Auth, CreatedAt: s.clock.Now()})
	return storeProblem(err, "user "+sess.UserID)
}

// UnregisterPush forgets one of the session user's subscriptions; forgetting an unknown one is fine.
func (s *Service) UnregisterPush(ctx context.Context, bearer string, req protocol.PushUnsubscribe) error {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return err
	}
	if req.Endpoint == "" || len(req.Endpoint) > protocol.MaxPushEndpointLen {
		return invalidField("endpoint", "endpoint is required, at most %d bytes", protocol.MaxPushEndpointLen)
	}
	return storeProblem(s.store.DeletePushSubscription(ctx, sess.UserID, req.Endpoint), "user "+sess.UserID)
}

// announceOffers hands a launched campaign's messages to the push sender; it never waits, and a
// full queue only costs the notifications (the inbox still has the messages).
func (s *Service) announceOffers(merchant, title string, msgs []store.OfferMessage) {
	if s.push == nil || len(msgs) == 0 {
		return
	}
	notices := make([]push.Notice, len(msgs))
	for i, m := range msgs {
		notices[i] = push.Notice{UserID: m.UserID, MessageID: m.ID, Merchant: merchant, Title: title}
	}
	if err := s.push.Enqueue(notices); err != nil {
		s.log.Warn("push: offers not announced", "messages", len(msgs), "err", err)
	}
}
