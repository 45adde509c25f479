package store

import (
	"context"
	"time"
)

// PushSubscriptions keeps the web wallets' Web Push subscriptions (RFC 8030; docs/wallet.md, "Web
// Push"): each browser a customer turned "Notify me of offers" on in registers one endpoint with its
// message-encryption keys (RFC 8291), and a launched campaign announces its offer messages to them.
// It is embedded in Store.
type PushSubscriptions interface {
	// PutPushSubscription stores one of a user's subscriptions, replacing the one with the same
	// endpoint. A user keeps at most MaxPushSubscriptions: a new endpoint beyond that replaces the
	// oldest (a browser that re-subscribed leaves its old endpoint behind). ErrNotFound for an
	// unknown user, ErrInvalidArgument for a malformed subscription.
	PutPushSubscription(ctx context.Context, s PushSubscription) error
	// ListPushSubscriptions returns a user's subscriptions by endpoint (none for an unknown user).
	ListPushSubscriptions(ctx context.Context, userID string) ([]PushSubscription, error)
	// DeletePushSubscription removes a user's subscription; removing an absent one is not an error,
	// so the wallet and the sender (after a 404 or 410 from the push service) may both do it.
	DeletePushSubscription(ctx context.Context, userID, endpoint string) error
}

// Push subscription bounds.
const (
	MaxPushSubscriptions = 10   // per user
	MaxPushEndpointLen   = 1024 // bytes of the endpoint URL
	PushP256dhLen        = 65   // an uncompressed P-256 point (RFC 8291 section 3.1)
	PushAuthLen          = 16   // the authentication secret (RFC 8291 section 3.2)
)

// PushSubscription is one browser's push endpoint and the keys its messages are encrypted to.
type PushSubscription struct {
	UserID    string    `json:"user_id"`
	Endpoint  string    `json:"endpoint"` // the push service's URL for this browser (a capability: never logged)
	P256dh    []byte    `json:"p256dh"`   // the browser's ECDH public key
	Auth      []byte    `json:"auth"`     // the browser's authentication secret
	CreatedAt time.Time `json:"created_at"`
}
