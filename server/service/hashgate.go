package service

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/stillpay/stillpay/shared/protocol"
)

// Bounds on password hashing. Each argon2id hash holds argonMemory (19 MiB) while it runs and anyone
// can ask for one (POST /v1/sessions needs no credentials), so unbounded logins are a memory attack
// before authentication: 64 concurrent logins took an unbounded settlementd from 1.3 GB to 4 GB. At
// most DefaultPasswordHashes hashes run at once (4 × 19 MiB = 76 MiB); up to DefaultPasswordQueue
// more wait in arrival order, and beyond that a login is answered 503 unavailable with Retry-After
// at once. settlementd's --password-hashes and --password-queue set them.
const (
	DefaultPasswordHashes = 4
	DefaultPasswordQueue  = 64
	// passwordBusyRetryAfter is the Retry-After of a refused login, in seconds: about the time the
	// queue needs to drain (64 hashes of ~50 ms on 4 cores).
	passwordBusyRetryAfter = 2
)

// hashGate bounds concurrent password hashes: slots holds a token per running hash, waiting counts
// callers queued for one.
type hashGate struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
	// peak is the most hashes seen running at once, for tests and metrics.
	running, peak atomic.Int64
}

func newHashGate(slots, queue int) *hashGate {
	if slots <= 0 {
		slots = DefaultPasswordHashes
	}
	if queue <= 0 {
		queue = DefaultPasswordQueue
	}
	return &hashGate{slots: make(chan struct{}, slots), maxQueue: int64(queue)}
}

// acquire waits for a hashing slot. With the queue full it returns a 503 problem at once; when ctx
// ends first (the client went away) it returns a 503 problem too. release must be called when the hash is
// done.
func (g *hashGate) acquire(ctx context.Context) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.started(), nil
	default:
	}
	if g.waiting.Add(1) > g.maxQueue {
		g.waiting.Add(-1)
		p := problem(http.StatusServiceUnavailable, protocol.CodeUnavailable,
			"too many password checks at once; retry in a moment")
		p.RetryAfterSeconds = passwordBusyRetryAfter
		return nil, p
	}
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return g.started(), nil
	case <-ctx.Done():
		return nil, problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, "the request ended while waiting for a password check")
	}
}

func (g *hashGate) started() func() {
	n := g.running.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return func() {
		g.running.Add(-1)
		<-g.slots
	}
}

// PasswordHashPeak is the most password hashes that ran at once since the service started.
func (s *Service) PasswordHashPeak() int { return int(s.gate.peak.Load()) }
