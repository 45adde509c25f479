package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/stillpay/stillpay/server/store/front"
)

// FileName is the store's file inside the data directory.
const FileName = "stillpay.db"

// lockTimeout is how long Open waits for another process holding the file.
const lockTimeout = 2 * time.Second

// initialMmap is the address space mapped up front. bbolt remaps when the file outgrows the mapping,
// and a remap waits for every open read transaction, so a long Check or Export would stall the writer;
// mapping generously makes that rare. It is address space, not memory.
const initialMmap = 1 << 30

// Options tune Open. The zero value is right for production.
type Options struct {
	// Logger receives write failures; nil discards.
	Logger *slog.Logger
}

// Store is the bbolt store: the store front (server/store/front: the policy every store shares) over
// the bbolt engine. Create it with Open.
type Store struct {
	*front.Front
	e *engine
}

// engine is the bbolt driver below the front.
type engine struct {
	db  *bolt.DB
	log *slog.Logger
	w   *writer

	readTerminals terminalCache // GetTerminal's, for concurrent readers
}

var _ front.Driver = (*engine)(nil)

// Open opens (or creates) the store in dir, mode 0600 for the file. Opening an existing file after a
// crash is fine: bbolt's two meta pages make every commit atomic.
func Open(dir string, opt Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	return OpenFile(filepath.Join(dir, FileName), opt)
}

// OpenFile opens (or creates) the store at path.
func OpenFile(path string, opt Options) (*Store, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: lockTimeout,
		// The freelist is rebuilt on open instead of written at every commit: less to fsync, same
		// durability (etcd runs this way).
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmap,
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrateOffers(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	e := &engine{db: db, log: log}
	e.w = newWriter(db, log)
	return &Store{Front: front.New(e), e: e}, nil
}

// Close finishes queued writes and closes the file.
func (s *engine) Close() error {
	s.w.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}

// Path is the file's path.
func (s *Store) Path() string { return s.e.db.Path() }

// GroupStats reports how well group commit is batching.
type GroupStats struct {
	Commits  uint64 // transactions committed
	Requests uint64 // write requests in them
	Ops      uint64 // ops (payments count one each) in them
}

// Stats returns counters since Open.
func (s *Store) Stats() GroupStats { return s.e.w.stats() }

// WriteBackup writes a consistent copy of the whole store file to w while the store keeps serving (a
// read transaction: writers go on). Opening the copy gives the store as of that moment.
func (s *Store) WriteBackup(ctx context.Context, w io.Writer) (int64, error) {
	return s.WriteBackupSized(ctx, func(int64) (io.Writer, error) { return w, nil })
}

// WriteBackupSized is WriteBackup for formats that need the length first (a tar entry): start is
// called with the copy's size, in the same read transaction, and returns where to write the copy.
func (s *Store) WriteBackupSized(ctx context.Context, start func(size int64) (io.Writer, error)) (int64, error) {
	var n int64
	err := s.e.db.View(func(tx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		w, err := start(tx.Size())
		if err != nil {
			return err
		}
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("boltstore: backup: %w", err)
	}
	return n, nil
}

// InUse reports whether another open store (a running settlementd) holds the store file in dir;
// false when there is no store file. Commands that change the data directory behind a server's
// back (keys rotate) refuse then.
func InUse(dir string) (bool, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("boltstore: %w", err)
	}
	return false, db.Close()
}
