package boltstore

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
)

// TestNoncesOfTheEarlierLayout: a store written before nonce_by_expiry became the nonce record keeps
// its nonces in both buckets; after the upgrade they are still refused, exported once, and forgotten
// by Sweep from both buckets.
func TestNoncesOfTheEarlierLayout(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	exp := now.Add(10 * time.Minute)
	err = s.e.db.Update(func(tx *bolt.Tx) error { // what the earlier useNonce wrote
		k := pair("T1", "old")
		if err := tx.Bucket(bktNonces).Put(k, timeKey(exp)); err != nil {
			return err
		}
		return tx.Bucket(bktNonceByExpiry).Put(append(timeKey(exp), k...), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		terminal  string
		nonce     string
		expiresAt time.Time
		want      error
	}{
		{"earlier layout, same expiry", "T1", "old", exp, store.ErrNonceReplayed},
		{"earlier layout, other expiry", "T1", "old", exp.Add(time.Second), store.ErrNonceReplayed},
		{"new nonce", "T1", "new", exp, nil},
		{"new nonce again", "T1", "new", exp, store.ErrNonceReplayed},
		{"same nonce, other terminal", "T2", "new", exp, nil},
	}
	for _, tt := range tests {
		if err := s.UseNonce(ctx, tt.terminal, tt.nonce, tt.expiresAt); !errors.Is(err, tt.want) {
			t.Errorf("%s: UseNonce = %v, want %v", tt.name, err, tt.want)
		}
	}
	seen := map[string]int{}
	err = s.Export(ctx, func(r store.Record) error {
		if r.Nonce != nil {
			seen[r.Nonce.TerminalID+"/"+r.Nonce.Nonce]++
			if !r.Nonce.ExpiresAt.Equal(exp) {
				t.Errorf("exported %+v, want expiry %s", r.Nonce, exp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"T1/old": 1, "T1/new": 1, "T2/new": 1}; !maps.Equal(seen, want) {
		t.Errorf("exported nonces %v, want %v", seen, want)
	}
	rep, err := s.Sweep(ctx, exp.Add(time.Second), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.NoncesDeleted != 3 {
		t.Errorf("Sweep deleted %d nonces, want 3", rep.NoncesDeleted)
	}
	err = s.e.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktNonces, bktNonceByExpiry} {
			if k, _ := tx.Bucket(b).Cursor().First(); k != nil {
				t.Errorf("bucket %s still holds %x after Sweep", b, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UseNonce(ctx, "T1", "old", exp.Add(time.Hour)); err != nil {
		t.Errorf("UseNonce after Sweep forgot it: %v", err)
	}
}
