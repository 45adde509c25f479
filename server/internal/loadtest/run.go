package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

// progressPoll is how often Run looks whether it is time to call midway.
const progressPoll = 5 * time.Millisecond

// Run lets every terminal send its payments or batches at once, each request to a random instance.
// Once shape.KillAfterPercent of the requests are answered, it calls midway on the caller's
// goroutine (the test kills an instance there and restarts it) while the terminals go on. It returns
// when all terminals are done: a terminal's error, else a mismatch in book.
func (f *Fleet) Run(ctx context.Context, book *Book, midway func()) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(f.terms))
	for i, term := range f.terms {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), f.shape.Seed))
			if i < f.shape.BatchTerminals {
				errs <- f.batchTerminal(ctx, term, rng, book)
			} else {
				errs <- f.paymentTerminal(ctx, term, rng, book)
			}
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	reached := f.waitForSent(f.Requests()*int64(f.shape.KillAfterPercent)/100, done)
	if reached {
		midway()
	}
	<-done
	close(errs)
	for err := range errs {
		if err != nil {
			return err // the first: the others are most often the same failure seen again
		}
	}
	if !reached {
		return fmt.Errorf("%w: %d of %d requests answered, midway at %d%%", ErrEndedEarly, f.Sent(), f.Requests(), f.shape.KillAfterPercent)
	}
	return book.Mismatches()
}

// waitForSent waits until n requests are answered (true) or the terminals are done short of that.
func (f *Fleet) waitForSent(n int64, done <-chan struct{}) bool {
	for f.sent.Load() < n {
		select {
		case <-done:
			return f.sent.Load() >= n
		case <-time.After(progressPoll):
		}
	}
	return true
}

// Resend sends one single payment in shape.ResendOneIn once more, each to a random instance, after
// the run: every answer must still be the stored one, byte for byte. It returns how many it sent.
func (f *Fleet) Resend(ctx context.Context, book *Book) (int, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		resent int
		errs   error
	)
	for i, term := range f.terms[f.shape.BatchTerminals:] {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), ^f.shape.Seed))
			for n := i % f.shape.ResendOneIn; n < f.shape.PaymentsPerTerminal; n += f.shape.ResendOneIn {
				key := paymentKey(term, n)
				ans, err := f.send(ctx, term, rng, protocol.PathTransactions, book.body(key))
				mu.Lock()
				if err != nil {
					errs = errors.Join(errs, err)
					mu.Unlock()
					return
				}
				resent++
				mu.Unlock()
				book.Record(key, ans.Body, 0)
			}
		})
	}
	wg.Wait()
	if errs != nil {
		return resent, errs
	}
	return resent, book.Mismatches()
}

// send posts body to random instances until one answers (503 is no answer: it is shutting down or
// not ready), within MaxSendTime.
func (f *Fleet) send(ctx context.Context, term *bench.Terminal, rng *rand.Rand, path string, body []byte) (bench.Answer, error) {
	deadline := time.Now().Add(MaxSendTime)
	pause := sendPause
	for n := 0; ; n++ {
		if n == 1 {
			f.retried.Add(1)
		}
		if n > 0 {
			f.resent.Add(1)
		}
		to := *term
		to.BaseURL = f.cluster.Pick(rng)
		ans, err := to.PostRaw(ctx, path, body)
		if err == nil && ans.Status != http.StatusServiceUnavailable {
			return ans, nil
		}
		if err == nil {
			f.unavailable.Add(1)
			if p := ans.Problem(); p == nil || p.RetryAfterSeconds <= 0 {
				return ans, fmt.Errorf("%w: %s %s: 503 without retry_after_seconds: %s", ErrUnexpectedAnswer, term.ID, path, ans.Body)
			}
		}
		if time.Now().After(deadline) {
			return ans, fmt.Errorf("%w: %s %s within %s: %v (last status %d)", ErrNoAnswer, term.ID, path, MaxSendTime, err, ans.Status)
		}
		select {
		case <-ctx.Done():
			return ans, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, maxSendPause)
	}
}

// retry says whether this request is sent twice.
func (f *Fleet) retry(rng *rand.Rand) bool { return rng.IntN(100) < f.shape.RetryPercent }
