package service

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

// TestHashGate: slots run at once, queue more wait, the next is refused 503 with Retry-After at
// once, a waiter whose request ends is answered 503 too, and a released slot goes to a waiter.
func TestHashGate(t *testing.T) {
	g := newHashGate(2, 1)
	ctx := context.Background()
	r1, err1 := g.acquire(ctx)
	r2, err2 := g.acquire(ctx)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	got := make(chan error, 1)
	go func() {
		r, err := g.acquire(ctx) // queued
		if err == nil {
			r()
		}
		got <- err
	}()
	waitQueued(g, 1)
	_, err := g.acquire(ctx)
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Status != http.StatusServiceUnavailable || p.Code != protocol.CodeUnavailable || p.RetryAfterSeconds <= 0 {
		t.Fatalf("over the queue: %v", err)
	}
	r1()
	if err := <-got; err != nil {
		t.Fatalf("queued caller: %v", err)
	}
	r1, err = g.acquire(ctx) // both slots held again
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := g.acquire(cctx)
		done <- err
	}()
	waitQueued(g, 1)
	cancel()
	if err := <-done; !errors.As(err, &p) || p.Status != http.StatusServiceUnavailable {
		t.Fatalf("cancelled waiter: %v", err)
	}
	r1()
	r2()
	if g.peak.Load() != 2 {
		t.Fatalf("peak %d, want 2", g.peak.Load())
	}
	if len(g.slots) != 0 {
		t.Fatalf("%d slots still held", len(g.slots))
	}
}

// waitQueued yields until n callers wait for a slot.
func waitQueued(g *hashGate, n int64) {
	for g.waiting.Load() != n {
		runtime.Gosched()
	}
}
