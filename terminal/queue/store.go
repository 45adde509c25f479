package queue

import (
	"context"
	"errors"
)

// Errors of a Store. Test with errors.Is.
var (
	ErrNotFound = errors.New("queue: no such transaction")
	// ErrCorrupt: the file failed bbolt's consistency check or could not be opened as a database. The
	// agent refuses to start and leaves the file where it is.
	ErrCorrupt = errors.New("queue: queue file is corrupt")
	// ErrLocked: another process holds the queue file.
	ErrLocked = errors.New("queue: queue file is in use by another process")
	// ErrStorage: a write or fsync failed (full disk, I/O error); the transaction was not committed.
	ErrStorage = errors.New("queue: could not write the queue file")
	// ErrOtherTerminal: the queue belongs to another terminal id and still holds unsent items.
	ErrOtherTerminal = errors.New("queue: queue file belongs to another terminal")
	ErrClosed        = errors.New("queue: closed")
)

// Store is the durable queue. Update runs fn in one transaction that is durable (fsync'd) when Update
// returns nil; if fn returns an error nothing it did is kept.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	// Check verifies the store's on-disk consistency.
	Check(ctx context.Context) error
	Close() error
}

// Tx is what a transaction can do. Records are values: Put replaces the stored copy.
type Tx interface {
	// NextSeq allocates the next sequence number; sequences never repeat, even across crashes.
	NextSeq() (uint64, error)
	Get(txnID string) (Record, error)
	// Put inserts or replaces r, keeping the outbox and open indexes in step with r.State.
	Put(r Record) error
	// MarkSeen records that the code with key was used by txnID. If the key was already seen it
	// returns the earlier txnID and true and changes nothing.
	MarkSeen(key, txnID string) (earlier string, seen bool, err error)
	// Outbox returns up to limit queued records in sequence order.
	Outbox(limit int) ([]Record, error)
	// OpenRecords returns the records in an open state (waiting or sending), in sequence order.
	OpenRecords() ([]Record, error)
	// Exposure sums the queued offline approvals in currency.
	Exposure(currency string) (Exposure, error)
	// Recent returns up to limit records, newest first, with sequence below before (0: newest).
	Recent(before uint64, limit int) ([]Record, error)
	// OutboxLen counts queued records.
	OutboxLen() (int, error)
}
