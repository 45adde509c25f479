package boltstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
)

// TestActivityIndexBackfill: a store written before the activity index existed gets it built from its
// transactions when it is opened, and Check holds the index to the transactions.
func TestActivityIndexBackfill(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := benchWorld{auths: 2}
	seedBench(t, s, 1, w)
	ctx := context.Background()
	outs, err := s.ApplyPayments(ctx, []store.PaymentOp{w.op(0, 0), w.op(0, 1), w.op(0, 2)})
	if err != nil || len(outs) != 3 || !outs[0].Approved() {
		t.Fatalf("payments: %+v %v", outs, err)
	}
	// As written by an older version: no activity bucket.
	if err := s.e.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bktActivity) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = OpenFile(filepath.Join(dir, FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acts, err := s.MerchantActivity(ctx, "M", time.Time{}, benchAt.Add(24*time.Hour))
	if err != nil || len(acts) != 3 {
		t.Fatalf("activity after the back-fill: %+v %v", acts, err)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Problems)
	}
	// A missing entry is a problem Check reports.
	if err := s.e.db.Update(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bktActivity).Cursor().First()
		return tx.Bucket(bktActivity).Delete(k)
	}); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Check(ctx); err == nil || rep.OK() {
		t.Fatalf("check missed a deleted activity entry: %v", rep.Problems)
	}
}
