package store

import "context"

// Pinger is the store's health check, for settlementd's /healthz and /readyz.
type Pinger interface {
	// Ping makes one cheap round trip to the store's storage, the same way a payment would reach it:
	// nil when a write could be attempted now; ErrUnavailable (wrapped) when the database cannot be
	// reached or is not the primary; ErrClosed after Close. It respects ctx's deadline.
	Ping(ctx context.Context) error
}
