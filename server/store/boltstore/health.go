package boltstore

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
)

// Ping opens and closes a read transaction: it fails with store.ErrClosed once the file is closed.
// A read transaction never waits for the writer.
func (s *engine) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return store.ErrClosed // bbolt's only error here is "database not open"
	}
	return nil
}
