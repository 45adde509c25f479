package queue

import (
	"context"
	"errors"
	"time"
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
	// ErrNotFinal: Delete was asked to remove a record whose outcome is not final (open, queued or
	// refused); such records are never pruned.
	ErrNotFinal = errors.New("queue: record is not final")
)

// SeenCode is one entry of the seen-codes list.
type SeenCode struct {
	Key string
	// TxnID is the transaction that used the code; empty if the stored entry could not be read.
	TxnID string
	// Expires is when the code's credential expires; zero when unknown (entries written before
	// the expiry was stored).
	Expires time.Time
}

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
	// RaiseSeq makes the next sequence at least floor+1 (a replacement box continues above its
	// predecessor's); a sequence already above it is kept.
	RaiseSeq(floor uint64) error
	Get(txnID string) (Record, error)
	// Put inserts or replaces r, keeping the outbox, open and follow-up indexes in step with r.
	Put(r Record) error
	// MarkSeen records that the code with key was used by txnID; expires is when the code's
	// credential expires (after which the entry can be pruned; zero: unknown). If the key was
	// already seen it returns the earlier txnID and true and changes nothing.
	MarkSeen(key, txnID string, expires time.Time) (earlier string, seen bool, err error)
	// Outbox returns up to limit queued records in sequence order.
	Outbox(limit int) ([]Record, error)
	// OpenRecords returns the records in an open state (waiting or sending), in sequence order.
	OpenRecords() ([]Record, error)
	// FollowUps returns the orders the agent still has to follow (Record.FollowUp), in sequence order.
	FollowUps() ([]Record, error)
	// FeedCursor is the last order sequence of the server's order feed the terminal has taken in
	// (0 at first); SetFeedCursor moves it, in the transaction that records what the feed brought.
	FeedCursor() (uint64, error)
	SetFeedCursor(seq uint64) error
	// Exposure sums the queued offline approvals in currency.
	Exposure(currency string) (Exposure, error)
	// Recent returns up to limit records, newest first, with sequence below before (0: newest).
	Recent(before uint64, limit int) ([]Record, error)
	// OutboxLen counts queued records.
	OutboxLen() (int, error)
	// Scan returns up to limit records with sequence above after, oldest first.
	Scan(after uint64, limit int) ([]Record, error)
	// Delete removes a final record (see State.Final) and its id; ErrNotFinal for any other. The
	// sequence is not affected: ids are never reused.
	Delete(txnID string) error
	// SeenCodes returns up to limit seen-code entries with key above after, in key order.
	SeenCodes(after string, limit int) ([]SeenCode, error)
	// ForgetSeen removes a seen-code entry; a missing key is not an error.
	ForgetSeen(key string) error
}
