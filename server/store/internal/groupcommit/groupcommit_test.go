package groupcommit

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stillpay/stillpay/server/store"
)

// write is what the tests submit: a name, and whether the flush must fail a group holding it.
type write struct {
	name    string
	bad     bool
	panics  bool
	flushed int // groups that committed holding it (written by the writer goroutine only)
}

// recorder is a flush function that records the groups it saw. A write named "block" holds the
// flush until gate is closed, after closing entered.
type recorder struct {
	mu      sync.Mutex
	groups  [][]string
	entered chan struct{}
	gate    chan struct{}
	fail    error // returned for a group holding a bad write
}

func newRecorder() *recorder {
	return &recorder{entered: make(chan struct{}), gate: make(chan struct{}), fail: errors.New("disk on fire")}
}

func (r *recorder) flush(group []*write) error {
	var names []string
	for _, w := range group {
		names = append(names, w.name)
		if w.name == "block" {
			close(r.entered)
			<-r.gate
		}
		if w.panics {
			panic("bug")
		}
	}
	r.mu.Lock()
	r.groups = append(r.groups, names)
	r.mu.Unlock()
	for _, w := range group {
		if w.bad {
			return r.fail
		}
	}
	for _, w := range group {
		w.flushed++
	}
	return nil
}

func (r *recorder) seen() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.groups)
}

func newBatcher(cfg Config, r *recorder) *Batcher[*write] {
	cfg.Name, cfg.Log = "test", slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.QueueDepth = cmp.Or(cfg.QueueDepth, 64)
	cfg.MaxRequests = cmp.Or(cfg.MaxRequests, 100)
	cfg.MaxWeight = cmp.Or(cfg.MaxWeight, 1000)
	return New(cfg, r.flush)
}

// hold keeps the writer busy in the flush of a "block" write, so that writes submitted next queue up
// and form the following group; release lets it go. The block write's Submit error comes on done.
func hold(b *Batcher[*write], r *recorder) (release func(), done <-chan error) {
	errc := make(chan error, 1)
	go func() { errc <- b.Submit(context.Background(), &write{name: "block"}, 1) }()
	<-r.entered
	return func() { close(r.gate) }, errc
}

// queue submits ws in order, each from its own goroutine once the previous one is queued, with the
// given weights (1 when nil); wait returns their Submit errors.
func queue(b *Batcher[*write], ws []*write, weights []int) (wait func() []error) {
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		weight := 1
		if weights != nil {
			weight = weights[i]
		}
		wg.Go(func() { errs[i] = b.Submit(context.Background(), w, weight) })
		for b.Queued() < i+1 {
			runtime.Gosched()
		}
	}
	return func() []error { wg.Wait(); return errs }
}

func writes(names ...string) []*write {
	var ws []*write
	for _, n := range names {
		ws = append(ws, &write{name: n})
	}
	return ws
}

// TestQueuedWritesShareAGroup: the writes that queue while a flush runs are flushed together, and
// the counters say so.
func TestQueuedWritesShareAGroup(t *testing.T) {
	r := newRecorder()
	b := newBatcher(Config{}, r)
	defer b.Close()
	release, blockDone := hold(b, r)
	ws := writes("a", "b", "c", "d")
	wait := queue(b, ws, []int{1, 2, 3, 4})
	release()
	for i, err := range wait() {
		if err != nil {
			t.Errorf("write %s: %v", ws[i].name, err)
		}
	}
	if err := <-blockDone; err != nil {
		t.Errorf("block: %v", err)
	}
	want := [][]string{{"block"}, {"a", "b", "c", "d"}}
	if got := r.seen(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if got, want := b.Stats(), (Stats{Commits: 2, Requests: 5, Weight: 11}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

// TestGroupBounds: MaxRequests and MaxWeight end a group; a write heavier than MaxWeight goes alone.
func TestGroupBounds(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		weights []int
		want    [][]string
	}{
		{"max requests", Config{MaxRequests: 2}, []int{1, 1, 1, 1, 1}, [][]string{{"0", "1"}, {"2", "3"}, {"4"}}},
		{"max weight", Config{MaxWeight: 5}, []int{2, 2, 2, 3, 1}, [][]string{{"0", "1"}, {"2", "3"}, {"4"}}},
		{"heavy write alone", Config{MaxWeight: 5}, []int{1, 9, 1}, [][]string{{"0"}, {"1"}, {"2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder()
			b := newBatcher(tt.cfg, r)
			defer b.Close()
			release, _ := hold(b, r)
			var ws []*write
			for i := range tt.weights {
				ws = append(ws, &write{name: string(rune('0' + i))})
			}
			wait := queue(b, ws, tt.weights)
			release()
			wait()
			if got := r.seen()[1:]; !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFlushErrorReachesEveryWaiter: when a group fails and Split refuses, every write of the group
// gets the flush error, wrapped with the store's name, and nothing counts as committed.
func TestFlushErrorReachesEveryWaiter(t *testing.T) {
	r := newRecorder()
	b := newBatcher(Config{Split: func(error) bool { return false }}, r)
	defer b.Close()
	release, _ := hold(b, r)
	ws := writes("a", "b", "c")
	ws[1].bad = true
	wait := queue(b, ws, nil)
	release()
	for i, err := range wait() {
		if !errors.Is(err, r.fail) {
			t.Errorf("write %s: %v, want the flush error", ws[i].name, err)
		} else if got := err.Error(); got != "test: write: disk on fire" {
			t.Errorf("write %s: error %q", ws[i].name, got)
		}
		if ws[i].flushed != 0 {
			t.Errorf("write %s counted as flushed", ws[i].name)
		}
	}
	if got := b.Stats(); got.Commits != 1 || got.Requests != 1 || got.Splits != 0 {
		t.Errorf("stats %+v, want only the block write committed and no split", got)
	}
}

// TestSplitKeepsTheFailureWithItsWrite: a failed group is retried one write at a time, so only the
// write that fails alone gets the error; a panic in flush is an error, not a crash.
func TestSplitKeepsTheFailureWithItsWrite(t *testing.T) {
	r := newRecorder()
	b := newBatcher(Config{}, r)
	defer b.Close()
	release, _ := hold(b, r)
	ws := writes("a", "bad", "c", "panic", "e")
	ws[1].bad, ws[3].panics = true, true
	wait := queue(b, ws, nil)
	release()
	errs := wait()
	for i, w := range ws {
		wantErr := w.bad || w.panics
		if (errs[i] != nil) != wantErr {
			t.Errorf("write %s: error %v, want error: %v", w.name, errs[i], wantErr)
		}
		if want := map[bool]int{true: 0, false: 1}[wantErr]; w.flushed != want {
			t.Errorf("write %s committed %d times, want %d", w.name, w.flushed, want)
		}
	}
	if !errors.Is(errs[1], r.fail) || !errors.Is(errs[3], ErrPanic) {
		t.Errorf("errors %v, %v: want the flush error and ErrPanic", errs[1], errs[3])
	}
	if got, want := b.Stats(), (Stats{Commits: 4, Requests: 4, Weight: 4, Splits: 1}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

// TestCloseWhileSubmitting: writers race Close. Every Submit returns nil (its write committed once)
// or store.ErrClosed (never flushed); none hangs, and after Close every Submit is refused.
func TestCloseWhileSubmitting(t *testing.T) {
	r := newRecorder()
	close(r.gate)
	b := newBatcher(Config{QueueDepth: 4, MaxRequests: 3}, r)
	const writers, each = 8, 200
	var accepted, refused atomic.Int64
	all := make([][]*write, writers)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for range each {
				w := &write{name: "w"}
				all[g] = append(all[g], w)
				switch err := b.Submit(context.Background(), w, 1); {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, store.ErrClosed):
					refused.Add(1)
				default:
					t.Errorf("Submit: %v", err)
				}
			}
		})
	}
	for b.Stats().Requests < writers { // let some writes in before closing
		runtime.Gosched()
	}
	b.Close()
	wg.Wait()
	var flushed int64
	for _, ws := range all {
		for _, w := range ws {
			if w.flushed > 1 {
				t.Fatalf("a write was committed %d times", w.flushed)
			}
			flushed += int64(w.flushed)
		}
	}
	if flushed != accepted.Load() || accepted.Load()+refused.Load() != writers*each {
		t.Errorf("%d accepted, %d refused, %d flushed (of %d)", accepted.Load(), refused.Load(), flushed, writers*each)
	}
	if got := b.Stats().Requests; int64(got) != flushed {
		t.Errorf("stats count %d requests, %d were flushed", got, flushed)
	}
	if err := b.Submit(context.Background(), &write{}, 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Submit after Close: %v, want store.ErrClosed", err)
	}
	b.Close() // twice is fine
}

// TestCanceledContext: a done context is refused before queueing; a caller that gives up while
// queued gets its context's error at once.
func TestCanceledContext(t *testing.T) {
	r := newRecorder()
	b := newBatcher(Config{}, r)
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Submit(ctx, &write{name: "x"}, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit with a done context: %v", err)
	}
	release, _ := hold(b, r)
	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Submit(ctx, &write{name: "y"}, 1) }()
	for b.Queued() < 1 {
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Submit canceled while queued: %v", err)
	}
	release()
}
