package service

import (
	"context"
	"sync"
	"time"
)

// OrderPollInterval is how often a long-poll looks at the store while it waits: a change made by
// another settlementd instance (sharing the database) is seen within it. A change made by this
// instance wakes the waiters at once.
const OrderPollInterval = time.Second

// orderWatch wakes long-polls when this instance changes an order. Its zero value is ready.
type orderWatch struct {
	mu   sync.Mutex
	subs map[string]chan struct{} // key → closed at the next change
	stop chan struct{}            // closed by StopLongPolls; made on first use
}

// stopping is closed when the server stops holding long-polls (it is shutting down).
func (w *orderWatch) stopping() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop == nil {
		w.stop = make(chan struct{})
	}
	return w.stop
}

// StopLongPolls answers every held long-poll now, and every later one at once, with the state as
// it is: the HTTP server calls it when it starts shutting down, so that graceful shutdown does not
// wait out minute-long polls. Clients simply ask again (another instance, or this one restarted).
func (s *Service) StopLongPolls() {
	stop := s.orderWatch.stopping()
	s.orderWatch.mu.Lock()
	defer s.orderWatch.mu.Unlock()
	select {
	case <-stop:
	default:
		close(s.orderWatch.stop)
	}
}

// changed returns a channel closed at the next notify of key. Take it before reading the state it
// guards, so that a change between the read and the wait is not missed.
func (w *orderWatch) changed(key string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.subs == nil {
		w.subs = map[string]chan struct{}{}
	}
	ch, ok := w.subs[key]
	if !ok {
		ch = make(chan struct{})
		w.subs[key] = ch
	}
	return ch
}

// notify wakes everyone waiting on the keys.
func (w *orderWatch) notify(keys ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		if ch, ok := w.subs[k]; ok {
			close(ch)
			delete(w.subs, k)
		}
	}
}

// Watch keys: one per order, one per terminal's feed.
func orderKey(id string) string        { return "o\x00" + id }
func feedKey(terminalID string) string { return "t\x00" + terminalID }

// waitFor blocks until ch is closed, OrderPollInterval passes, until passes, ctx ends or the
// server stops long-polls; it reports false when the wait is over (until passed, ctx ended,
// stopping). until is wall-clock time: how long a long-poll holds a connection is not a matter of
// the service clock.
func (w *orderWatch) waitFor(ctx context.Context, ch <-chan struct{}, until time.Time) bool {
	left := time.Until(until)
	stop := w.stopping()
	if left <= 0 {
		return false
	}
	t := time.NewTimer(min(left, OrderPollInterval))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
	return true
}
