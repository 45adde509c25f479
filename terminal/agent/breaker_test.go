package agent

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// An online attempt whose answer is lost is reversed, never approved offline under its id (the
// lost answer may be a decline); the next sale is decided offline without asking the server.
func TestUnansweredAttemptIsReversed(t *testing.T) {
	r := newRig(t, "timeout")
	first := r.sell(t, 1250, r.wallet.Code(now))
	if first.State != SaleDeclined || first.Code != protocol.CodeUnavailable || first.Offline {
		t.Fatalf("first sale: %+v", first)
	}
	out := r.outbox(t)
	if len(out) != 1 || out[0].Kind != protocol.KindVoid || out[0].TargetTxnID != first.ID {
		t.Fatalf("want only a void of %s, outbox %+v", first.ID, out)
	}
	if rec := r.record(t, first.ID); rec.State != queue.StateDeclined || !rec.MaybeSent || rec.VoidTxnID != out[0].TxnID {
		t.Fatalf("first record: %+v", rec)
	}
	if open, _ := r.ag.ServerUnreachable(); !open {
		t.Fatal("breaker not open after an unanswered attempt")
	}

	second := r.sell(t, 1250, r.wallet.Code(now))
	if second.State != SaleApproved || !second.Offline {
		t.Fatalf("second sale: %+v", second)
	}
	if n := len(r.srv.reqs); n != 1 {
		t.Fatalf("the server was asked %d times, want once (the second sale goes offline at once)", n)
	}
	if rec := r.record(t, second.ID); rec.MaybeSent || rec.State != queue.StateQueued {
		t.Fatalf("second record: %+v", rec)
	}

	// The forwarder gets an answer: sales go online again.
	r.srv.setMode("approve")
	r.ag.ServerAnswered()
	if open, _ := r.ag.ServerUnreachable(); open {
		t.Fatal("breaker still open")
	}
	if third := r.sell(t, 1250, r.wallet.Code(now)); third.State != SaleApproved || third.Offline {
		t.Fatalf("third sale: %+v", third)
	}
}

// While the breaker is open, a code the offline rules refuse is still tried online.
func TestOpenBreakerStillAsksForWhatOfflineRefuses(t *testing.T) {
	r := newRig(t, "down")
	if v := r.sell(t, 1250, r.wallet.Code(now)); v.State != SaleApproved || !v.Offline {
		t.Fatalf("offline sale: %+v", v)
	}
	r.srv.setMode("approve")
	v := r.sell(t, 6000, r.wallet.Code(now)) // over the floor limit: only the server can approve it
	if v.State != SaleApproved || v.Offline {
		t.Fatalf("big sale: %+v", v)
	}
	if open, _ := r.ag.ServerUnreachable(); open {
		t.Fatal("an answer did not close the breaker")
	}
}

// A hung server holds the online attempt at most the sale budget, less the reserve for the
// offline decision; the budget is the agent's option (sale.wait_budget).
func TestHungServerBoundedByBudget(t *testing.T) {
	testenv.SkipIfShort(t, "waits out the sale budget against a hung server, twice")
	for _, budget := range []time.Duration{0, 1500 * time.Millisecond} {
		r := newRig(t, "hang", func(_ *rig, o *Options) { o.SaleBudget = budget })
		v := r.sell(t, 1250, r.wallet.Code(now))
		if v.State != SaleDeclined || v.Code != protocol.CodeUnavailable {
			t.Fatalf("budget %s: sale %+v", budget, v)
		}
		want := budget
		if want == 0 {
			want = DefaultSaleBudget
		}
		r.srv.mu.Lock()
		got := r.srv.budgets
		r.srv.mu.Unlock()
		if len(got) != 1 || got[0] > want-budgetReserve || got[0] <= 0 {
			t.Fatalf("budget %s: the online attempt had %v, want at most %s", budget, got, want-budgetReserve)
		}
	}
}
