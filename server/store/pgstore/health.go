package pgstore

import (
	"context"
	"fmt"

	"github.com/stillpay/stillpay/server/store"
)

// Ping asks the database whether it is a primary, on a pooled connection: the connection string's
// target_session_attrs=read-write picks the primary when a new connection is made, but a connection
// made before a failover may now reach a demoted node. A standby answers store.ErrUnavailable, and so
// does a database that cannot be reached.
func (s *engine) Ping(ctx context.Context) error {
	var recovering bool
	if err := s.pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovering); err != nil {
		return mapErr(err)
	}
	if recovering {
		return fmt.Errorf("%w: the database is a standby (in recovery)", store.ErrUnavailable)
	}
	return nil
}
