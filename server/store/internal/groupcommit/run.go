package groupcommit

import (
	"errors"
	"fmt"
	"time"
)

// group is the writes being gathered for one flush.
type group[T any] struct {
	entries []*entry[T]
	weight  int
}

func (g *group[T]) add(e *entry[T]) {
	g.entries = append(g.entries, e)
	g.weight += e.weight
}

func (b *Batcher[T]) full(g *group[T]) bool {
	return len(g.entries) >= b.cfg.MaxRequests || g.weight >= b.cfg.MaxWeight
}

// take adds e to g, first flushing g if e would take it over MaxWeight.
func (b *Batcher[T]) take(g *group[T], e *entry[T]) {
	if len(g.entries) > 0 && g.weight+e.weight > b.cfg.MaxWeight {
		b.commit(g.entries, g.weight)
		clear(g.entries)
		g.entries, g.weight = g.entries[:0], 0
	}
	g.add(e)
}

func (b *Batcher[T]) run() {
	defer close(b.finished)
	g := &group[T]{entries: make([]*entry[T], 0, max(b.cfg.MaxRequests, 1))}
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	lastGroup := 0
	for first := range b.queue {
		g.entries, g.weight = g.entries[:0], 0
		g.add(first)
	drain:
		for !b.full(g) {
			select {
			case e, ok := <-b.queue:
				if !ok {
					break drain
				}
				b.take(g, e)
			default:
				break drain
			}
		}
		if b.cfg.LingerGap > 0 && lastGroup > 1 && !b.full(g) {
			deadline := time.Now().Add(b.cfg.MaxLinger)
		linger:
			for !b.full(g) {
				gap.Reset(min(b.cfg.LingerGap, time.Until(deadline)))
				select {
				case e, ok := <-b.queue:
					gap.Stop()
					if !ok {
						break linger
					}
					b.take(g, e)
				case <-gap.C:
					break linger
				}
			}
		}
		lastGroup = len(g.entries)
		b.commit(g.entries, g.weight)
		clear(g.entries)
	}
}

// commit flushes the group. On failure it retries each write alone (unless Split refuses), so a
// failure stays with the write that caused it; a write that fails alone gets the error.
func (b *Batcher[T]) commit(entries []*entry[T], weight int) {
	vals := make([]T, len(entries))
	for i, e := range entries {
		vals[i] = e.v
	}
	err := b.flushSafely(vals)
	if err == nil {
		b.commits.Add(1)
		b.requests.Add(uint64(len(entries)))
		b.weight.Add(uint64(weight))
		for _, e := range entries {
			e.done <- nil
		}
		return
	}
	if len(entries) == 1 || (b.cfg.Split != nil && !b.cfg.Split(err)) {
		for _, e := range entries {
			b.fail(e, err)
		}
		return
	}
	b.splits.Add(1)
	b.log.Warn(b.cfg.Name+": group commit failed; retrying its writes one by one", "writes", len(entries), "err", err)
	for _, e := range entries {
		b.commit([]*entry[T]{e}, e.weight)
	}
}

// flushSafely is flush with a panic turned into an error, so a bug in one write fails the writes of
// its group instead of the process and every later write.
func (b *Batcher[T]) flushSafely(vals []T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return b.flush(vals)
}

// ErrPanic wraps a panic in a flush function.
var ErrPanic = errors.New("panic in write")

func (b *Batcher[T]) fail(e *entry[T], err error) {
	b.log.Error(b.cfg.Name+": write failed", "weight", e.weight, "err", err)
	e.done <- fmt.Errorf("%s: write: %w", b.cfg.Name, err)
}
