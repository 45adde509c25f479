package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stillpay/stillpay/server/store"
)

// TestMapErrUnavailable: errors that mean "the database went away" (what a request in flight sees
// when the primary dies, and what it sees until a new primary takes connections) map to
// store.ErrUnavailable; decisions of the database and cancellations do not.
func TestMapErrUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"read-only standby", &pgconn.PgError{Code: "25006"}, true},
		{"serialization failure", &pgconn.PgError{Code: sqlSerializationFailure}, false},
		{"unique violation", &pgconn.PgError{Code: sqlUniqueViolation}, false},
		{"cancelled", context.Canceled, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{"store sentinel", store.ErrNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(mapErr(tt.err), store.ErrUnavailable); got != tt.want {
				t.Fatalf("mapErr(%v) unavailable = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
