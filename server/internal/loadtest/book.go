package loadtest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Book remembers the first answer to every idempotency key and every later answer that differs.
type Book struct {
	mu       sync.Mutex
	answers  map[string][]byte
	amounts  map[string]int64  // approved payments
	bodies   map[string][]byte // request bodies of single payments, to send again
	mismatch []string
	// approvedAt is when each approval was first recorded, in recording order (for Gaps).
	approvedAt []time.Time
}

// NewBook is an empty book.
func NewBook() *Book {
	return &Book{answers: map[string][]byte{}, amounts: map[string]int64{}, bodies: map[string][]byte{}}
}

// Remember keeps a single payment's request body under its key, to send it again later.
func (b *Book) Remember(key string, body []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bodies[key] = body
}

func (b *Book) body(key string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bodies[key]
}

// Record keeps the first answer to key, with the amount it approved (0 for a decline); a later
// answer that is not byte for byte the same is a mismatch.
func (b *Book) Record(key string, answer []byte, approvedMinor int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, ok := b.answers[key]; ok {
		if string(prev) != string(answer) {
			b.mismatch = append(b.mismatch, fmt.Sprintf("%s:\n  %s\n  %s", key, prev, answer))
		}
		return
	}
	b.answers[key] = answer
	if approvedMinor > 0 {
		b.amounts[key] = approvedMinor
		b.approvedAt = append(b.approvedAt, time.Now())
	}
}

// Mismatches wraps ErrAnswerChanged when any key got two different answers.
func (b *Book) Mismatches() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.mismatch) > 0 {
		return fmt.Errorf("%w: %d keys, first: %s", ErrAnswerChanged, len(b.mismatch), b.mismatch[0])
	}
	return nil
}

// Keys is how many keys got an answer.
func (b *Book) Keys() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.answers)
}

// Approved is how many keys were approved and for how much in total.
func (b *Book) Approved() (n int, sumMinor int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.amounts {
		sumMinor += a
	}
	return len(b.amounts), sumMinor
}

// CheckBalances compares balances (as one instance reports them) with the book: the merchant must
// hold exactly the approved sum, and no account but the currency's system account may be negative.
func (b *Book) CheckBalances(balances map[string]int64) error {
	_, want := b.Approved()
	if got := balances["merchant:"+MerchantID]; got != want {
		return fmt.Errorf("%w: merchant balance %d, approved answers sum to %d: something applied twice or got lost", ErrMerchantBalance, got, want)
	}
	for id, v := range balances {
		if v < 0 && id != "system:"+Currency {
			return fmt.Errorf("%w: account %s is %d", ErrNegativeBalance, id, v)
		}
	}
	return nil
}

// CheckExercised fails unless at least half of the requests sent were approved payments: a run that
// declined everything proves nothing.
func (b *Book) CheckExercised(requests int64) error {
	if n, _ := b.Approved(); int64(n) < requests/2 {
		return fmt.Errorf("%w: %d approvals for %d requests", ErrTooFewApprovals, n, requests)
	}
	return nil
}

// LongestGap is the longest time after from with no approval recorded: from from to the first
// approval after it, or between two approvals after it, whichever is longest. Zero when nothing was
// approved after from.
func (b *Book) LongestGap(from time.Time) time.Duration {
	b.mu.Lock()
	times := slices.Clone(b.approvedAt)
	b.mu.Unlock()
	slices.SortFunc(times, func(x, y time.Time) int { return x.Compare(y) })
	var longest time.Duration
	prev := from
	for _, at := range times {
		if at.Before(from) {
			continue
		}
		longest = max(longest, at.Sub(prev))
		prev = at
	}
	return longest
}

// ApprovedKeys returns every approved key with its amount.
func (b *Book) ApprovedKeys() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.amounts)
}

// Answered returns every key answered so far with the amount approved, 0 for a decline.
func (b *Book) Answered() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int64, len(b.answers))
	for key := range b.answers {
		out[key] = b.amounts[key]
	}
	return out
}
