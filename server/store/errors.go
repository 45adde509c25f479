package store

import "errors"

// Sentinel errors. Implementations wrap them with %w and a detail naming the record; test with errors.Is.
var (
	ErrNotFound            = errors.New("store: not found")
	ErrExists              = errors.New("store: already exists")
	ErrInvalidArgument     = errors.New("store: invalid argument")
	ErrInsufficientFunds   = errors.New("store: insufficient funds")
	ErrCurrencyMismatch    = errors.New("store: currency mismatch")
	ErrNotOwner            = errors.New("store: account does not belong to the user")
	ErrRevoked             = errors.New("store: revoked")
	ErrEnrollCodeUsed      = errors.New("store: enrollment code already used")
	ErrEnrollCodeExpired   = errors.New("store: enrollment code expired")
	ErrNonceReplayed       = errors.New("store: request nonce already used")
	ErrIdempotencyMismatch = errors.New("store: idempotency key reused with a different request")
	ErrTooManyOps          = errors.New("store: too many ops in one call")
	ErrInconsistent        = errors.New("store: consistency check failed")
	ErrClosed              = errors.New("store: closed")
	// ErrUnavailable: the database could not be reached or stopped answering (a failover, a restart,
	// a network fault), or a transaction kept losing serialization conflicts past the retry limit.
	// The call may or may not have been applied: answer "retry with the same idempotency key", never
	// a decision.
	ErrUnavailable = errors.New("store: database unavailable")
)
