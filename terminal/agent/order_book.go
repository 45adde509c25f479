package agent

import (
	"context"
	"sync"
)

// orderBook holds the followers of the orders in progress, one per order.
type orderBook struct {
	ctx    context.Context // ends when the agent closes
	cancel context.CancelFunc

	mu        sync.Mutex
	followers map[string]*follower
}

func newOrderBook() *orderBook {
	ctx, cancel := context.WithCancel(context.Background())
	return &orderBook{ctx: ctx, cancel: cancel, followers: map[string]*follower{}}
}

// follower is the in-memory side of one followed order.
type follower struct {
	id   string
	wake chan struct{} // a cancel from the register ends the pause before a retry

	mu       sync.Mutex
	woken    bool               // a wake came while no poll was running
	stopPoll context.CancelFunc // ends the long poll in flight, if any
	lastErr  string             // why the last exchange with the server failed; "" when it worked
}

// add registers a follower for id; false if one runs already.
func (b *orderBook) add(id string) (*follower, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.followers[id]; ok {
		return nil, false
	}
	f := &follower{id: id, wake: make(chan struct{}, 1)}
	b.followers[id] = f
	return f, true
}

func (b *orderBook) remove(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.followers, id)
}

func (b *orderBook) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.followers)
}

func (b *orderBook) get(id string) *follower {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.followers[id]
}

// interrupt makes order id's follower look at its record again at once.
func (b *orderBook) interrupt(id string) {
	if f := b.get(id); f != nil {
		f.interrupt()
	}
}

// stop ends every follower (the agent is closing); their orders are resumed at the next start.
func (b *orderBook) stop() { b.cancel() }

func (f *follower) interrupt() {
	f.mu.Lock()
	if f.stopPoll != nil {
		f.stopPoll()
	} else {
		f.woken = true
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// pollContext returns the context of one long poll, already ended if a wake came since the last.
func (f *follower) pollContext(ctx context.Context) (context.Context, func()) {
	pctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	if f.woken {
		f.woken = false
		cancel()
	}
	f.stopPoll = cancel
	f.mu.Unlock()
	return pctx, func() {
		f.mu.Lock()
		f.stopPoll = nil
		f.mu.Unlock()
		cancel()
	}
}

func (f *follower) setError(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastErr = ""
	if err != nil {
		f.lastErr = err.Error()
	}
}

func (f *follower) lastError() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastErr
}
