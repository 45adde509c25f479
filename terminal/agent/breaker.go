package agent

import (
	"sync"
	"time"
)

// DefaultSaleBudget bounds the cashier's wait for one sale after the scan (sale.wait_budget).
const DefaultSaleBudget = 4 * time.Second

// budgetReserve is kept from the sale budget for what follows the online attempt: the offline
// check, the commit (an fsync) and, for an unanswered attempt, the queued void.
const budgetReserve = 300 * time.Millisecond

// breaker is the sale path's circuit breaker. An online attempt that gets no answer opens it:
// the next sales are decided offline at once instead of each waiting out the budget again.
// It closes when the server answers anything: a sale's online attempt, or a batch of the
// forwarder, which keeps probing while the outbox holds the offline sales (ServerAnswered). A
// sale whose code cannot be approved offline still tries the server while the breaker is open.
type breaker struct {
	mu       sync.Mutex
	openedAt time.Time // zero: closed
}

// open reports whether the server is considered unreachable, and since when.
func (b *breaker) open() (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.openedAt.IsZero(), b.openedAt
}

// failed opens the breaker (keeping the first failure's time).
func (b *breaker) failed(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openedAt.IsZero() {
		b.openedAt = now
	}
}

// answered closes the breaker; it reports whether it was open.
func (b *breaker) answered() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := !b.openedAt.IsZero()
	b.openedAt = time.Time{}
	return was
}

// ServerAnswered tells the agent the settlement server answered a request (the forwarder calls it
// after every answered batch): sales go online again.
func (a *Agent) ServerAnswered() {
	if a.breaker.answered() {
		a.log.Info("server answers again; sales go online")
	}
}

// ServerUnreachable reports whether sales are being decided offline at once, and since when.
func (a *Agent) ServerUnreachable() (bool, time.Time) { return a.breaker.open() }
