package boltstore

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
)

// getJSON reads the record at key into v; store.ErrNotFound (wrapped with what) if absent.
func getJSON(b *bolt.Bucket, key []byte, what string, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("boltstore: corrupt %s: %w", what, err)
	}
	return nil
}

// putJSON writes v at key; failures abort the group.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return abort(fmt.Errorf("boltstore: encode: %w", err))
	}
	return abort(b.Put(key, raw))
}

func getBalance(tx *bolt.Tx, id string) (int64, error) {
	raw := tx.Bucket(bktBalances).Get([]byte(id))
	if len(raw) != 8 {
		return 0, fmt.Errorf("%w: account %s", store.ErrNotFound, id)
	}
	return int64(getU64(raw)), nil
}

func putBalance(tx *bolt.Tx, id string, v int64) error {
	return abort(tx.Bucket(bktBalances).Put([]byte(id), u64(uint64(v))))
}

func getJSONRaw(raw []byte, what string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("boltstore: corrupt record %s: %w", what, err)
	}
	return nil
}
