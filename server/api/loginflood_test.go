package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/shared/protocol"
)

// heapPeak samples the heap in use until stop is closed and returns the highest figure.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// TestConcurrentLoginsHashWithinTheBound: 64 logins at once (the attack that took settlementd from
// 1.3 GB to 4 GB) run at most PasswordHashes argon2id hashes at a time; those beyond the queue are
// answered 503 unavailable with Retry-After at once; the heap grows by a bounded amount, not by
// 64 × 19 MiB.
func TestConcurrentLoginsHashWithinTheBound(t *testing.T) {
	const (
		logins = 64
		slots  = 2
		queue  = 16
		argon  = 19 << 20 // bytes one argon2id hash holds
	)
	s := newStackWith(t, storeBolt, func(c *service.Config, _ *Config) { c.PasswordHashes, c.PasswordQueue = slots, queue })
	if _, err := s.admin.AddUser(context.Background(), admin.UserRequest{UserID: "alice", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(protocol.SessionRequest{UserID: "alice", Password: "correct horse"})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peakc := heapPeak(stop)
	var ok, busy atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := s.srv.Client().Post(s.srv.URL+protocol.PathSessions, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusCreated:
				ok.Add(1)
			case http.StatusServiceUnavailable:
				var p protocol.Problem
				if json.NewDecoder(resp.Body).Decode(&p) != nil || p.Code != protocol.CodeUnavailable || resp.Header.Get("Retry-After") == "" {
					t.Errorf("503 without an unavailable problem and Retry-After: %+v %q", p, resp.Header.Get("Retry-After"))
				}
				busy.Add(1)
			default:
				t.Errorf("login: %d", resp.StatusCode)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(stop)
	peak := <-peakc
	growth := int64(peak) - int64(before.HeapInuse)
	t.Logf("%d concurrent logins: %d signed in, %d refused 503; at most %d hashes at once; heap in use %.1f MiB before, peak %.1f MiB (+%.1f MiB; unbounded would be +%d MiB)",
		logins, ok.Load(), busy.Load(), s.svc.PasswordHashPeak(), float64(before.HeapInuse)/(1<<20), float64(peak)/(1<<20), float64(growth)/(1<<20), logins*argon>>20)
	if got := s.svc.PasswordHashPeak(); got > slots {
		t.Fatalf("%d hashes ran at once, the bound is %d", got, slots)
	}
	if ok.Load() < slots+queue-slots || ok.Load()+busy.Load() != logins {
		t.Fatalf("%d signed in and %d refused of %d", ok.Load(), busy.Load(), logins)
	}
	// Running hashes plus garbage the collector has not reclaimed yet (GOGC=100 lets the heap double):
	// well under the 64 × 19 MiB of unbounded hashing.
	if limit := int64(4 * slots * argon); growth > limit {
		t.Fatalf("heap grew by %d MiB, more than %d MiB for %d hashes at once", growth>>20, limit>>20, slots)
	}
}
