package boltstore

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var bktTest = []byte("test")

// blockWriter occupies the writer until the returned release is called, so that the test can queue
// requests that then form one group.
func blockWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	gate := make(chan struct{})
	started := make(chan struct{})
	go s.e.w.do(context.Background(), 1, func(tx *bolt.Tx) error {
		close(started)
		<-gate
		_, err := tx.CreateBucketIfNotExists(bktTest)
		return abort(err)
	})
	<-started
	return func() { close(gate) }
}

// waitQueued waits until n requests are queued behind the blocked writer.
func waitQueued(s *Store, n int) {
	for s.e.w.b.Queued() < n {
		runtime.Gosched()
	}
}

// TestGroupIsolation: in one group, a request that fails after writing (or panics) is rolled back
// alone; the others commit; a request that fails before writing just gets its error.
func TestGroupIsolation(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	errBefore := errors.New("refused before writing")
	put := func(key string, then func() error) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			if err := tx.Bucket(bktTest).Put([]byte(key), []byte("v")); err != nil {
				return abort(err)
			}
			return then()
		}
	}
	ok := func() error { return nil }
	reqs := []struct {
		fn      func(tx *bolt.Tx) error
		wantErr bool
	}{
		{put("a", ok), false},
		{put("b", func() error { return abort(errors.New("disk on fire")) }), true},
		{put("c", ok), false},
		{put("d", func() error { panic("bug") }), true},
		{func(tx *bolt.Tx) error { return errBefore }, true},
		{put("e", ok), false},
	}
	release := blockWriter(t, s)
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { errs[i] = s.e.w.do(context.Background(), 1, r.fn) })
		waitQueued(s, i+1) // keep the order
	}
	release()
	wg.Wait()
	for i, r := range reqs {
		if (errs[i] != nil) != r.wantErr {
			t.Errorf("request %d: error %v, want error: %v", i, errs[i], r.wantErr)
		}
	}
	if !errors.Is(errs[4], errBefore) {
		t.Errorf("plain error came back as %v", errs[4])
	}
	err = s.e.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktTest)
		for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": false, "e": true} {
			if got := b.Get([]byte(key)) != nil; got != want {
				t.Errorf("key %s present = %v, want %v", key, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitBatches: requests queued while a commit runs share the next transaction.
func TestGroupCommitBatches(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 50
	release := blockWriter(t, s)
	before := s.Stats()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.e.w.do(context.Background(), 1, func(tx *bolt.Tx) error {
				return abort(tx.Bucket(bktTest).Put([]byte{byte(i)}, []byte("v")))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(s, n)
	release()
	wg.Wait()
	after := s.Stats()
	// One commit for the blocker, and the 50 in as few as the group bounds allow: one.
	if commits := after.Commits - before.Commits; commits != 2 {
		t.Errorf("%d commits for the blocker and %d queued requests, want 2", commits, n)
	}
	if reqs := after.Requests - before.Requests; reqs != n+1 {
		t.Errorf("%d requests committed, want %d", reqs, n+1)
	}
}

// TestContextCanceledBeforeQueue: a caller whose context is done gets its error and nothing runs.
func TestContextCanceledBeforeQueue(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err = s.e.w.do(ctx, 1, func(tx *bolt.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("do with a canceled context: %v, ran %v", err, ran)
	}
}

// TestCanceledWhileQueuedIsSkipped: a request whose caller gave up while it waited in the queue does
// not run.
func TestCanceledWhileQueuedIsSkipped(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := blockWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	errc := make(chan error, 1)
	go func() { errc <- s.e.w.do(ctx, 1, func(tx *bolt.Tx) error { ran.Store(true); return nil }) }()
	waitQueued(s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("do: %v, want context.Canceled", err)
	}
	release()
	// A later request has run once the writer is past the canceled one.
	if err := s.e.w.do(context.Background(), 1, func(tx *bolt.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("the canceled request ran")
	}
}
