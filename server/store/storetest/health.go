package storetest

import (
	"context"
	"testing"

	"github.com/stillpay/stillpay/server/store"
)

// testPing checks the health check settlementd's /healthz and /readyz make: nil on an open store,
// and an error, not a hang, once the caller's context is done.
func testPing(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping on an open store = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping with a cancelled context = nil, want an error")
	}
}
