package queue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	bucketMeta    = []byte("meta")
	bucketRecords = []byte("records") // seq (8 bytes, big endian) -> Record JSON
	bucketIDs     = []byte("ids")     // txn id -> seq
	bucketOutbox  = []byte("outbox")  // seq -> "" for queued records
	bucketOpen    = []byte("open")    // seq -> "" for waiting and sending records
	bucketSeen    = []byte("seen")    // seen-code key -> txn id
	bucketOrders  = []byte("orders")  // seq -> "" for orders to follow (Record.FollowUp)
	keySeq        = []byte("seq")
	keyTerminal   = []byte("terminal_id")
	keyFeed       = []byte("order_feed") // the server order feed's cursor
)

// lockTimeout is how long Open waits for another process to release the file before ErrLocked.
const lockTimeout = time.Second

// Bolt is the bbolt-backed Store. Every Update is one bbolt transaction committed with fsync.
type Bolt struct {
	db   *bolt.DB
	path string
}

// OpenBolt opens or creates the queue file at path for terminalID, and checks its consistency. A
// file that is not a bbolt database or fails the check gives ErrCorrupt and is left untouched.
// A queue that belongs to another terminal and still has unsent items gives ErrOtherTerminal.
func OpenBolt(path, terminalID string) (*Bolt, error) {
	existed := true
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		existed = false
	}
	db, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	b := &Bolt{db: db, path: path}
	if existed {
		if err := b.Check(context.Background()); err != nil {
			db.Close()
			return nil, err
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketRecords, bucketIDs, bucketOutbox, bucketOpen, bucketSeen, bucketOrders} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		owner := string(meta.Get(keyTerminal))
		if owner != "" && owner != terminalID {
			if n := tx.Bucket(bucketOutbox).Stats().KeyN; n > 0 {
				return fmt.Errorf("%w: %s belongs to terminal %s and holds %d unsent item(s); export them with `posagent queue export` under the old identity or move the file aside",
					ErrOtherTerminal, path, owner, n)
			}
		}
		if owner != terminalID {
			return meta.Put(keyTerminal, []byte(terminalID))
		}
		return nil
	})
	if err != nil {
		db.Close()
		if errors.Is(err, ErrOtherTerminal) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrStorage, path, err)
	}
	return b, nil
}

// openBolt opens the file, turning bbolt's errors (and panics on damaged files) into typed ones.
func openBolt(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, corrupt(path, fmt.Sprint(r))
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s (is another posagent running? check: systemctl status posagent)", ErrLocked, path)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s: %v", ErrStorage, path, err)
	case isNoSpace(err):
		return nil, fmt.Errorf("%w: %s: %v (free some disk space)", ErrStorage, path, err)
	default:
		return nil, corrupt(path, err.Error())
	}
}

func corrupt(path, detail string) error {
	return fmt.Errorf("%w: %s: %s. The file has been left in place: copy it off the terminal for recovery, "+
		"then move it aside (mv %s %s.corrupt) to start with an empty queue", ErrCorrupt, path, detail, path, path)
}

func isNoSpace(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "no space left") || strings.Contains(err.Error(), "disk quota"))
}

// Path returns the queue file's path.
func (b *Bolt) Path() string { return b.path }

// Check runs bbolt's consistency check over the whole file.
func (b *Bolt) Check(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = corrupt(b.path, fmt.Sprint(r))
		}
	}()
	var problems []string
	err = b.db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			if len(problems) < 5 {
				problems = append(problems, e.Error())
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return corrupt(b.path, strings.Join(problems, "; "))
	}
	return nil
}

// Update runs fn in a read-write transaction, committed with fsync.
func (b *Bolt) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	err := b.db.Update(func(tx *bolt.Tx) error {
		fnErr = fn(&boltTx{tx: tx})
		return fnErr
	})
	if err != nil && fnErr == nil {
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			return ErrClosed
		}
		hint := ""
		if isNoSpace(err) {
			hint = " (disk full: free some space)"
		}
		return fmt.Errorf("%w: %s: %v%s", ErrStorage, b.path, err, hint)
	}
	return err
}

// View runs fn in a read-only transaction.
func (b *Bolt) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.db.View(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

type boltTx struct{ tx *bolt.Tx }

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func (t *boltTx) NextSeq() (uint64, error) {
	meta := t.tx.Bucket(bucketMeta)
	var seq uint64
	if v := meta.Get(keySeq); len(v) == 8 {
		seq = binary.BigEndian.Uint64(v)
	}
	seq++
	return seq, meta.Put(keySeq, seqKey(seq))
}

func (t *boltTx) RaiseSeq(floor uint64) error {
	meta := t.tx.Bucket(bucketMeta)
	if v := meta.Get(keySeq); len(v) == 8 && binary.BigEndian.Uint64(v) >= floor {
		return nil
	}
	return meta.Put(keySeq, seqKey(floor))
}

func (t *boltTx) Get(txnID string) (Record, error) {
	k := t.tx.Bucket(bucketIDs).Get([]byte(txnID))
	if k == nil {
		return Record{}, fmt.Errorf("%w: %q", ErrNotFound, txnID)
	}
	return t.getSeq(k)
}

func (t *boltTx) getSeq(k []byte) (Record, error) {
	v := t.tx.Bucket(bucketRecords).Get(k)
	if v == nil {
		return Record{}, fmt.Errorf("%w: sequence %d", ErrNotFound, binary.BigEndian.Uint64(k))
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return Record{}, fmt.Errorf("%w: record %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
	}
	return r, nil
}

func (t *boltTx) Put(r Record) error {
	if r.Seq == 0 || r.TxnID == "" {
		return fmt.Errorf("queue: record needs a sequence and a transaction id")
	}
	k := seqKey(r.Seq)
	prev, err := t.getSeq(k)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := checkMove(prev, err == nil, r); err != nil {
		return err
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("queue: encode record: %w", err)
	}
	if err := t.tx.Bucket(bucketRecords).Put(k, v); err != nil {
		return err
	}
	if err := t.tx.Bucket(bucketIDs).Put([]byte(r.TxnID), k); err != nil {
		return err
	}
	if err := setMember(t.tx.Bucket(bucketOutbox), k, r.State.Outbox()); err != nil {
		return err
	}
	if err := setMember(t.tx.Bucket(bucketOrders), k, r.FollowUp()); err != nil {
		return err
	}
	return setMember(t.tx.Bucket(bucketOpen), k, r.State.Open())
}

func setMember(b *bolt.Bucket, k []byte, in bool) error {
	if in {
		return b.Put(k, nil)
	}
	return b.Delete(k)
}

func (t *boltTx) MarkSeen(key, txnID string, expires time.Time) (string, bool, error) {
	b := t.tx.Bucket(bucketSeen)
	if v := b.Get([]byte(key)); v != nil {
		earlier, _, err := decodeSeen(v)
		if err != nil {
			// Still seen: a damaged entry must not let the code through.
			return "(unreadable entry)", true, nil
		}
		return earlier, true, nil
	}
	return "", false, b.Put([]byte(key), encodeSeen(txnID, expires))
}

func (t *boltTx) Scan(after uint64, limit int) ([]Record, error) {
	var out []Record
	c := t.tx.Bucket(bucketRecords).Cursor()
	k, v := c.Seek(seqKey(after + 1))
	for ; k != nil && len(out) < limit; k, v = c.Next() {
		var r Record
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *boltTx) Delete(txnID string) error {
	r, err := t.Get(txnID)
	if err != nil {
		return err
	}
	if !r.State.Final() {
		return fmt.Errorf("%w: %s is %s", ErrNotFinal, txnID, r.State)
	}
	k := seqKey(r.Seq)
	for _, name := range [][]byte{bucketRecords, bucketOutbox, bucketOpen, bucketOrders} {
		if err := t.tx.Bucket(name).Delete(k); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bucketIDs).Delete([]byte(txnID))
}

func (t *boltTx) SeenCodes(after string, limit int) ([]SeenCode, error) {
	var out []SeenCode
	c := t.tx.Bucket(bucketSeen).Cursor()
	k, v := c.Seek([]byte(after))
	if k != nil && string(k) == after && after != "" {
		k, v = c.Next()
	}
	for ; k != nil && len(out) < limit; k, v = c.Next() {
		// An unreadable value comes back with no txn id, which the retention rule keeps: a damaged
		// entry must neither stop pruning nor let its code be used again.
		txnID, expires, _ := decodeSeen(v)
		out = append(out, SeenCode{Key: string(k), TxnID: txnID, Expires: expires})
	}
	return out, nil
}

func (t *boltTx) ForgetSeen(key string) error { return t.tx.Bucket(bucketSeen).Delete([]byte(key)) }

func (t *boltTx) indexed(bucket []byte, limit int) ([]Record, error) {
	var out []Record
	c := t.tx.Bucket(bucket).Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
		r, err := t.getSeq(k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *boltTx) Outbox(limit int) ([]Record, error) { return t.indexed(bucketOutbox, limit) }

func (t *boltTx) OpenRecords() ([]Record, error) { return t.indexed(bucketOpen, 0) }

func (t *boltTx) FollowUps() ([]Record, error) { return t.indexed(bucketOrders, 0) }

func (t *boltTx) FeedCursor() (uint64, error) {
	if v := t.tx.Bucket(bucketMeta).Get(keyFeed); len(v) == 8 {
		return binary.BigEndian.Uint64(v), nil
	}
	return 0, nil
}

func (t *boltTx) SetFeedCursor(seq uint64) error {
	return t.tx.Bucket(bucketMeta).Put(keyFeed, seqKey(seq))
}

func (t *boltTx) OutboxLen() (int, error) { return t.tx.Bucket(bucketOutbox).Stats().KeyN, nil }

func (t *boltTx) Exposure(currency string) (Exposure, error) {
	recs, err := t.Outbox(0)
	if err != nil {
		return Exposure{}, err
	}
	return exposureOf(recs, currency), nil
}

func exposureOf(recs []Record, currency string) Exposure {
	var e Exposure
	for _, r := range recs {
		if r.Kind != protocol.KindOffline || r.Amount.Currency != currency {
			continue
		}
		e.Count++
		e.Total += r.Amount.Minor
		if e.Oldest.IsZero() || r.ApprovedAt.Before(e.Oldest) {
			e.Oldest = r.ApprovedAt
		}
	}
	return e
}

func (t *boltTx) Recent(before uint64, limit int) ([]Record, error) {
	var out []Record
	c := t.tx.Bucket(bucketRecords).Cursor()
	var k, v []byte
	if before == 0 {
		k, v = c.Last()
	} else {
		if k, _ = c.Seek(seqKey(before)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil && len(out) < limit; k, v = c.Prev() {
		var r Record
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrCorrupt, binary.BigEndian.Uint64(k), err)
		}
		out = append(out, r)
	}
	return out, nil
}
