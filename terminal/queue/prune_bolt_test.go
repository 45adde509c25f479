package queue

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	bolt "go.etcd.io/bbolt"
)

// TestBoltPruneThenRestart prunes everything, including the newest record, and reopens the file:
// the sequence continues from its own counter (not from the records left), and the file passes
// bbolt's consistency check.
func TestBoltPruneThenRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	b, err := OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	var last Record
	for i := 0; i < 50; i++ {
		last = putAt(t, b, protocol.KindOnline, StateApproved, t0)
	}
	res, err := Prune(ctx, b, PruneOptions{KeepSettled: keep, Now: pruneNow})
	if err != nil || res.Records != 50 {
		t.Fatalf("prune: %+v, %v", res, err)
	}
	b.Close()

	b, err = OpenBolt(path, "T-1") // OpenBolt runs the consistency check on an existing file
	if err != nil {
		t.Fatalf("reopen after prune: %v", err)
	}
	defer b.Close()
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	next := newRecord(t, b, protocol.KindOnline, StateWaiting, 1)
	if next.Seq != last.Seq+1 || next.TxnID == last.TxnID {
		t.Fatalf("after prune and restart the sequence is %d (id %s), want %d", next.Seq, next.TxnID, last.Seq+1)
	}
}

// TestBoltReadsSeenCodesOfOlderFiles: a seen entry written before expiries were stored (the bare
// txn id) still blocks its code and ages with its sale.
func TestBoltReadsSeenCodesOfOlderFiles(t *testing.T) {
	ctx := context.Background()
	b, err := OpenBolt(filepath.Join(t.TempDir(), "queue.db"), "T-1")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sale := putAt(t, b, protocol.KindOffline, StateSettled, t0)
	err = b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeen).Put([]byte("A-1/3"), []byte(sale.TxnID))
	})
	if err != nil {
		t.Fatal(err)
	}
	b.View(ctx, func(tx Tx) error {
		codes, err := tx.SeenCodes("", 10)
		if err != nil || len(codes) != 1 || codes[0].TxnID != sale.TxnID || !codes[0].Expires.IsZero() {
			t.Fatalf("legacy entry read as %+v, %v", codes, err)
		}
		return nil
	})
	b.Update(ctx, func(tx Tx) error {
		if earlier, seen, _ := tx.MarkSeen("A-1/3", "T-1-other", pruneNow); !seen || earlier != sale.TxnID {
			t.Fatalf("legacy entry does not block its code: %v %q", seen, earlier)
		}
		return errors.New("roll back")
	})
	res, err := Prune(ctx, b, PruneOptions{KeepSettled: keep, Now: t0.Add(keep - time.Hour)})
	if err != nil || res.SeenCodes != 0 {
		t.Fatalf("legacy entry pruned before keep_settled: %+v, %v", res, err)
	}
	res, err = Prune(ctx, b, PruneOptions{KeepSettled: keep, Now: pruneNow})
	if err != nil || res.SeenCodes != 1 || res.Records != 1 {
		t.Fatalf("legacy entry and its sale after keep_settled: %+v, %v", res, err)
	}
}

// seenCases is the table for TestDecodeSeen and the seed corpus of FuzzDecodeSeen.
var seenCases = []struct {
	name    string
	value   []byte
	txnID   string
	expires time.Time
	wantErr bool
}{
	{name: "with expiry", value: encodeSeen("T-1-000000007", t0), txnID: "T-1-000000007", expires: t0},
	{name: "legacy bare id", value: []byte("T-1-000000007"), txnID: "T-1-000000007"},
	{name: "zero expiry is stored as legacy", value: encodeSeen("T-9-000000001", time.Time{}), txnID: "T-9-000000001"},
	{name: "empty", value: nil, wantErr: true},
	{name: "header without id", value: encodeSeen("", t0), wantErr: true},
	{name: "short header", value: []byte{seenV1, 1, 2}, wantErr: true},
	{name: "oversized", value: append([]byte{seenV1, 0, 0, 0, 0, 0, 0, 0, 1}, bytes.Repeat([]byte("x"), maxSeenValue)...), wantErr: true},
	{name: "negative expiry", value: append([]byte{seenV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "T-1"...), txnID: "T-1", expires: time.Unix(-1, 0).UTC()},
}

func TestDecodeSeen(t *testing.T) {
	for _, tc := range seenCases {
		t.Run(tc.name, func(t *testing.T) {
			txnID, expires, err := decodeSeen(tc.value)
			if tc.wantErr {
				if !errors.Is(err, ErrBadSeenEntry) {
					t.Fatalf("got %q, %v, %v; want ErrBadSeenEntry", txnID, expires, err)
				}
				return
			}
			if err != nil || txnID != tc.txnID || !expires.Equal(tc.expires) {
				t.Fatalf("got %q, %v, %v; want %q, %v", txnID, expires, err, tc.txnID, tc.expires)
			}
		})
	}
}

// FuzzDecodeSeen: any stored value decodes or gives ErrBadSeenEntry, never a panic, and what
// decodes with an expiry encodes back to the same bytes.
func FuzzDecodeSeen(f *testing.F) {
	for _, tc := range seenCases {
		f.Add(tc.value)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		txnID, expires, err := decodeSeen(v)
		if err != nil {
			if !errors.Is(err, ErrBadSeenEntry) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !expires.IsZero() && !bytes.Equal(encodeSeen(txnID, expires), v) {
			t.Fatalf("%x decodes to %q %v, which encodes differently", v, txnID, expires)
		}
	})
}
