package bench

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BaselineBBolt measures the store-without-group-commit baseline: a loop of n bbolt
// Updates, each one payment (two balances read and written, one transaction record put) and each
// committed with bbolt's default fsyncs. It returns payments per second.
func BaselineBBolt(dir string, n int) (float64, error) {
	path := filepath.Join(dir, "baseline.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return 0, fmt.Errorf("bench: baseline: %w", err)
	}
	defer os.Remove(path)
	defer db.Close()
	balances, txns := []byte("balances"), []byte("txns")
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(balances)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(txns); err != nil {
			return err
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], 1<<40)
		if err := b.Put([]byte("customer"), v[:]); err != nil {
			return err
		}
		return b.Put([]byte("merchant"), make([]byte, 8))
	})
	if err != nil {
		return 0, fmt.Errorf("bench: baseline: %w", err)
	}
	record := make([]byte, 300) // about what a stored outcome takes
	start := time.Now()
	for i := range n {
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(balances)
			cust := binary.BigEndian.Uint64(b.Get([]byte("customer")))
			merch := binary.BigEndian.Uint64(b.Get([]byte("merchant")))
			var v [8]byte
			binary.BigEndian.PutUint64(v[:], cust-1)
			if err := b.Put([]byte("customer"), v[:]); err != nil {
				return err
			}
			binary.BigEndian.PutUint64(v[:], merch+1)
			if err := b.Put([]byte("merchant"), v[:]); err != nil {
				return err
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], uint64(i))
			return tx.Bucket(txns).Put(k[:], record)
		})
		if err != nil {
			return 0, fmt.Errorf("bench: baseline: %w", err)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
