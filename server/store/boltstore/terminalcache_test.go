package boltstore

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// openWithTerminal opens a store with merchant M1 and its pending terminal T1 (enrollment code
// "code1"), and gives the time to enroll it at.
func openWithTerminal(t *testing.T) (store.Store, time.Time) {
	t.Helper()
	ctx := context.Background()
	s := openTemp(t)
	if _, err := s.CreateMerchant(ctx, store.Merchant{ID: "M1", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTerminal(ctx, store.Terminal{ID: "T1", MerchantID: "M1", EnrollCodeHash: []byte("code1")}); err != nil {
		t.Fatal(err)
	}
	return s, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
}

// TestGetTerminalSeesEveryWrite: GetTerminal answers from its cache while no terminal record was
// written, so each kind of write (enrollment, reissue, revocation, import) must reach the next read.
// It fails if any write of a terminal record skips putTerminalRecord's commit hook.
func TestGetTerminalSeesEveryWrite(t *testing.T) {
	ctx := context.Background()
	s, at := openWithTerminal(t)
	get := func(want func(store.Terminal) bool, what string) store.Terminal {
		t.Helper()
		for range 3 { // the first read fills the cache, the others answer from it
			got, err := s.GetTerminal(ctx, "T1")
			if err != nil || !want(got) {
				t.Fatalf("after %s: %+v, %v", what, got, err)
			}
		}
		got, _ := s.GetTerminal(ctx, "T1")
		return got
	}
	get(func(v store.Terminal) bool { return v.State == store.TerminalPending }, "create")

	key := bytes.Repeat([]byte{7}, 32)
	if _, err := s.EnrollTerminal(ctx, store.Enrollment{CodeHash: []byte("code1"), PublicKey: key, At: at}); err != nil {
		t.Fatal(err)
	}
	got := get(func(v store.Terminal) bool { return v.State == store.TerminalActive && bytes.Equal(v.PublicKey, key) }, "enroll")
	got.PublicKey[0] = 0 // a caller's change must not reach the cache
	get(func(v store.Terminal) bool { return bytes.Equal(v.PublicKey, key) }, "a caller's change")

	if _, err := s.ReissueEnrollCode(ctx, "T1", []byte("code2"), at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	get(func(v store.Terminal) bool { return bytes.Equal(v.EnrollCodeHash, []byte("code2")) }, "reissue")

	if _, err := s.RevokeTerminal(ctx, "T1", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	get(func(v store.Terminal) bool { return v.State == store.TerminalRevoked }, "revoke")

	if _, err := s.GetTerminal(ctx, "T2"); err == nil {
		t.Fatal("T2 before its import")
	}
	if err := s.Import(ctx, []store.Record{{Terminal: &store.Terminal{ID: "T2", MerchantID: "M1", EnrollCodeHash: []byte("code3")}}}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetTerminal(ctx, "T2"); err != nil || v.ID != "T2" {
		t.Fatalf("T2 after its import: %+v, %v", v, err)
	}
}

// TestGetTerminalRevokedUnderLoad: readers hammer GetTerminal while the terminal is revoked; every
// read that starts after RevokeTerminal returned sees the revocation.
func TestGetTerminalRevokedUnderLoad(t *testing.T) {
	ctx := context.Background()
	s, at := openWithTerminal(t)
	if _, err := s.EnrollTerminal(ctx, store.Enrollment{CodeHash: []byte("code1"), PublicKey: make([]byte, 32), At: at}); err != nil {
		t.Fatal(err)
	}
	var revoked atomic.Bool
	var stale atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := revoked.Load() // taken before the read starts
				v, err := s.GetTerminal(ctx, "T1")
				if err != nil {
					t.Error(err)
					return
				}
				if after && v.State != store.TerminalRevoked {
					stale.Add(1)
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := s.RevokeTerminal(ctx, "T1", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	revoked.Store(true)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if n := stale.Load(); n > 0 {
		t.Fatalf("%d reads that started after the revocation returned saw the terminal active", n)
	}
}

// BenchmarkGetTerminal is the read every signed request starts with.
func BenchmarkGetTerminal(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateMerchant(ctx, store.Merchant{ID: "M1", Currency: "EUR"}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateTerminal(ctx, store.Terminal{ID: "T1", MerchantID: "M1", EnrollCodeHash: []byte("code1"), PublicKey: make([]byte, 32)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetTerminal(ctx, "T1"); err != nil {
			b.Fatal(err)
		}
	}
}
