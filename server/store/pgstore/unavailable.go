package pgstore

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stillpay/stillpay/server/store"
)

// SQLSTATEs that mean "this server cannot do it now, another (or this one, later) can": the node is
// shutting down, starting, in recovery or demoted to a standby (25006 from a connection opened
// before a failover), out of connection slots, or lost the connection while a commit was in flight.
var unavailableStates = map[string]bool{
	"25006": true, // read_only_sql_transaction: connected to a standby (e.g. a demoted primary)
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now
	"53300": true, // too_many_connections
	"40003": true, // statement_completion_unknown
}

// unavailable reports whether err means the database was unreachable or went away (connection
// refused or reset, the server shutting down, a standby where a primary was wanted), rather than a
// decision of the database about the statement. Such a call may or may not have committed, so the
// caller must retry with the same idempotency keys; nothing here retries on its own.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return strings.HasPrefix(pe.Code, "08") || unavailableStates[pe.Code]
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// unavailableErr wraps err with store.ErrUnavailable, keeping the database's detail for the log.
func unavailableErr(err error) error {
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}
