package service

import (
	"context"
	"time"
)

// HealthTimeout bounds the store's health check: a load balancer asks often, and a database that
// takes longer than this to answer SELECT is not one to send payments to.
const HealthTimeout = 2 * time.Second

// StoreHealth pings the store within HealthTimeout: nil when a payment could reach it now,
// store.ErrUnavailable (wrapped) when the database cannot be reached or is not the primary.
func (s *Service) StoreHealth(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, HealthTimeout)
	defer cancel()
	return s.store.Ping(ctx)
}
