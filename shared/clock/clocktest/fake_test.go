package clocktest

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
)

func TestFakeMovesOnlyWhenTold(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var c clock.Clock = NewFake(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	c.(*Fake).Advance(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance: %v, want %v", got, want)
	}
	c.(*Fake).Set(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("after Set: %v, want %v", got, start)
	}
}

func TestOrDefaultsToReal(t *testing.T) {
	t.Parallel()
	if _, ok := clock.Or(nil).(clock.Real); !ok {
		t.Fatalf("Or(nil) = %T, want clock.Real", clock.Or(nil))
	}
	f := NewFake(time.Unix(0, 0))
	if clock.Or(f) != f {
		t.Fatal("Or(f) did not return f")
	}
	fixed := time.Unix(42, 0)
	if got := clock.Func(func() time.Time { return fixed }).Now(); !got.Equal(fixed) {
		t.Fatalf("Func.Now = %v", got)
	}
}
