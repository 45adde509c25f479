package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Limits of the throttle tests: small, so the suite stays fast.
var testLimits = store.Throttle{User: store.CodeLimits{PerWindow: 3, PerDay: 5}, Terminal: store.CodeLimits{PerWindow: 8, PerDay: 12}}

// guess is a payment with a wrong code for user U1's authorization Z1, throttled as the service sends it.
func guess(terminal, txn string, counter uint64, at time.Time) store.PaymentOp {
	op := pay(terminal, txn, "Z1", counter, eur(100), at)
	op.UserID = "U1"
	op.Decline = &store.Decline{Code: protocol.CodeCodeInvalid, Message: "wrong code", CountFailure: true}
	return throttle(op, at)
}

func throttle(op store.PaymentOp, at time.Time) store.PaymentOp {
	th := testLimits
	th.Since = at.Add(-15 * time.Minute)
	op.Throttle = &th
	return op
}

// throttledBy checks that o was refused by the throttle for subject kind k, and recorded nothing.
func throttledBy(t *testing.T, f *fx, what string, o store.Outcome, k store.SubjectKind, daily bool) {
	t.Helper()
	var te *store.ThrottledError
	if !errors.As(o.Err, &te) || !errors.Is(o.Err, store.ErrThrottled) || te.Subject.Kind != k || te.Daily != daily || o.Approved() {
		t.Errorf("%s: %+v (err %v), want throttled by the %s (daily %v)", what, o, o.Err, k, daily)
		return
	}
	if _, err := f.s.GetTxn(f.ctx, o.Key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: a throttled op was recorded (%v)", what, err)
	}
}

// testThrottleInOneCall: one call of many wrong codes is judged op by op: the user's window limit
// stops it after 3, and a right code after them is refused too, not approved.
func testThrottleInOneCall(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	at := t0.Add(time.Hour)
	var ops []store.PaymentOp
	for i := range 9 {
		ops = append(ops, guess("T1", fmt.Sprintf("g%d", i), uint64(i%5), at))
	}
	right := throttle(pay("T1", "right", "Z1", 1, eur(100), at), at)
	right.UserID = "U1"
	ops = append(ops, right)
	outs := f.apply(ops...)
	for i, o := range outs[:3] {
		if o.Err != nil || o.Code != protocol.CodeCodeInvalid {
			t.Errorf("guess %d: %+v, want declined code_invalid", i, o)
		}
	}
	for i, o := range outs[3:9] {
		throttledBy(t, f, fmt.Sprintf("guess %d", i+3), o, store.SubjectUser, false)
	}
	throttledBy(t, f, "right code after the limit", outs[9], store.SubjectUser, false)
	// A replay of a judged op still gets its recorded answer.
	sameOutcome(t, "replay while throttled", outs[0], f.apply1(ops[0]))
	c, err := f.s.CodeFailures(f.ctx, store.Subject{Kind: store.SubjectUser, ID: "U1"}, at.Add(-time.Minute), at)
	if err != nil || c.InWindow != 3 || c.Today != 3 {
		t.Errorf("user failures %+v, %v; want 3", c, err)
	}
	// After the window two more are judged, then the daily limit (5) holds all day.
	later := at.Add(20 * time.Minute)
	for i := range 3 {
		o := f.apply1(guess("T1", fmt.Sprintf("h%d", i), uint64(i), later))
		if i < 2 && o.Code != protocol.CodeCodeInvalid {
			t.Errorf("guess h%d after the window: %+v", i, o)
		}
		if i == 2 {
			throttledBy(t, f, "over the daily limit", o, store.SubjectUser, true)
		}
	}
	right = throttle(pay("T1", "right2", "Z1", 1, eur(100), later.Add(time.Hour)), later.Add(time.Hour))
	right.UserID = "U1"
	throttledBy(t, f, "right code while locked for the day", f.apply1(right), store.SubjectUser, true)
	f.wantBalances(map[string]int64{store.MerchantAccountID("M1"): 0})
	// Without the user (a forged payload names no genuine user) only the terminal counts.
	forged := guess("T1", "forged", 0, later)
	forged.UserID = ""
	if o := f.apply1(forged); o.Err != nil || o.Code != protocol.CodeCodeInvalid {
		t.Errorf("op without a user while the user is locked: %+v", o)
	}
	f.check()
}

// testThrottleTerminal: the terminal's limits stop guesses spread over users, and a locked terminal's
// ops are refused before anything else.
func testThrottleTerminal(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	at := t0.Add(time.Hour)
	judged := 0
	for i := range 10 {
		op := guess("T1", fmt.Sprintf("t%d", i), 0, at)
		op.UserID = fmt.Sprintf("someone%d", i) // a different user each time
		o := f.apply1(op)
		switch {
		case o.Err == nil:
			judged++
		case i < testLimits.Terminal.PerWindow:
			t.Errorf("guess %d refused early: %v", i, o.Err)
		default:
			throttledBy(t, f, fmt.Sprintf("guess %d", i), o, store.SubjectTerminal, false)
		}
	}
	if judged != testLimits.Terminal.PerWindow {
		t.Errorf("%d guesses judged, want the terminal's window limit %d", judged, testLimits.Terminal.PerWindow)
	}
	f.check()
}

// testThrottleConcurrent: many concurrent calls, each one wrong code for the same user, have at most
// the user's window limit judged; the rest are refused without being counted.
func testThrottleConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	at := t0.Add(time.Hour)
	const callers = 24
	var judged, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			outs, err := f.s.ApplyPayments(f.ctx, []store.PaymentOp{guess("T1", fmt.Sprintf("c%d", i), uint64(i%5), at)})
			switch {
			case err != nil:
				t.Errorf("caller %d: %v", i, err)
			case errors.Is(outs[0].Err, store.ErrThrottled):
				refused.Add(1)
			case outs[0].Code == protocol.CodeCodeInvalid:
				judged.Add(1)
			default:
				t.Errorf("caller %d: %+v", i, outs[0])
			}
		})
	}
	wg.Wait()
	if judged.Load() != int64(testLimits.User.PerWindow) || refused.Load() != callers-judged.Load() {
		t.Errorf("%d concurrent guesses: %d judged, %d refused; want exactly %d judged", callers, judged.Load(), refused.Load(), testLimits.User.PerWindow)
	}
	c, err := f.s.CodeFailures(f.ctx, store.Subject{Kind: store.SubjectUser, ID: "U1"}, at.Add(-time.Minute), at)
	if err != nil || c.InWindow != testLimits.User.PerWindow {
		t.Errorf("user failures %+v, %v; want %d", c, err, testLimits.User.PerWindow)
	}
	f.check()
}
