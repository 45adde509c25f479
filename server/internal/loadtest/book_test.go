package loadtest

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestBookRecordKeepsFirstAnswerAndReportsChanges(t *testing.T) {
	b := NewBook()
	b.Record("T01/T01-0000", []byte(`{"status":"approved"}`), 300)
	b.Record("T01/T01-0000", []byte(`{"status":"approved"}`), 0) // the same answer again: fine
	b.Record("T01/T01-0001", []byte(`{"status":"declined"}`), 0)
	if err := b.Mismatches(); err != nil {
		t.Fatalf("identical answers reported as changed: %v", err)
	}
	if n, sum := b.Approved(); n != 1 || sum != 300 || b.Keys() != 2 {
		t.Fatalf("approved %d for %d over %d keys, want 1 for 300 over 2", n, sum, b.Keys())
	}
	b.Record("T01/T01-0000", []byte(`{"status":"declined"}`), 0)
	if err := b.Mismatches(); !errors.Is(err, ErrAnswerChanged) {
		t.Fatalf("a changed answer: %v, want ErrAnswerChanged", err)
	}
	if n, sum := b.Approved(); n != 1 || sum != 300 {
		t.Fatalf("a later answer changed the approved amounts: %d for %d", n, sum)
	}
}

func TestBookChecks(t *testing.T) {
	b := NewBook()
	b.Record("a", []byte("1"), 250)
	b.Record("b", []byte("2"), 750)
	b.Record("c", []byte("3"), 0)
	tests := []struct {
		name     string
		balances map[string]int64
		want     error
	}{
		{"consistent", map[string]int64{"merchant:M1": 1000, "acc-u00": 5, "system:EUR": -1005}, nil},
		{"applied twice", map[string]int64{"merchant:M1": 1250, "system:EUR": -1250}, ErrMerchantBalance},
		{"lost", map[string]int64{"merchant:M1": 750}, ErrMerchantBalance},
		{"overdrawn customer", map[string]int64{"merchant:M1": 1000, "acc-u00": -1}, ErrNegativeBalance},
		{"negative hold", map[string]int64{"merchant:M1": 1000, "hold:a1": -5}, ErrNegativeBalance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.CheckBalances(tt.balances); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CheckBalances(%v) = %v, want %v", tt.balances, err, tt.want)
			}
		})
	}
	if err := b.CheckExercised(4); err != nil {
		t.Fatalf("2 approvals of 4 requests: %v", err)
	}
	if err := b.CheckExercised(6); !errors.Is(err, ErrTooFewApprovals) {
		t.Fatalf("2 approvals of 6 requests: %v, want ErrTooFewApprovals", err)
	}
}

func TestClusterReplace(t *testing.T) {
	a, b, restarted := &Process{URL: "http://a"}, &Process{URL: "http://b"}, &Process{URL: "http://b2"}
	c := NewCluster(a, b)
	c.Replace(b, restarted)
	rng := rand.New(rand.NewPCG(1, 1))
	seen := map[string]bool{}
	for range 100 {
		seen[c.Pick(rng)] = true
	}
	if len(seen) != 2 || !seen["http://a"] || !seen["http://b2"] {
		t.Fatalf("picked %v, want http://a and http://b2 only", seen)
	}
}
