package offline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/queue"
)

var (
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	limits = protocol.TerminalLimits{Currency: "EUR", FloorLimitMinor: 5000, OfflineMaxCount: 3, OfflineMaxMinor: 8000, OfflineMaxAgeSecs: 3600}
)

func eur(m int64) money.Amount { return money.Amount{Minor: m, Currency: "EUR"} }

// newSale stores a sale waiting for its decision, as the agent does before it decides.
func newSale(t *testing.T, s queue.Store, amount money.Amount) queue.Record {
	t.Helper()
	var r queue.Record
	err := s.Update(context.Background(), func(tx queue.Tx) error {
		seq, _ := tx.NextSeq()
		r = queue.Record{Seq: seq, TxnID: queue.TxnID("T-1", seq), Kind: protocol.KindOnline, State: queue.StateSending, Amount: amount, CreatedAt: now}
		return tx.Put(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func parse(t *testing.T, text string) *payload.Payload {
	t.Helper()
	p, err := payload.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApproveRules(t *testing.T) {
	iss := paytest.NewIssuer()
	other := paytest.NewIssuer()
	cases := []struct {
		name   string
		setup  func(t *testing.T, s queue.Store, v *Verifier) // earlier approvals
		wallet func() *paytest.Wallet
		amount money.Amount
		at     time.Time
		want   protocol.Code // "" for approved
	}{
		{name: "approved", amount: eur(1250), want: ""},
		{name: "over floor limit", amount: eur(5001), want: protocol.CodeOverFloorLimit,
			wallet: func() *paytest.Wallet {
				return iss.Authorize("alice", "A-6", "EUR", 10000, 5, now.Add(-time.Hour), 24*time.Hour)
			}},
		{name: "over credential cap", amount: eur(2100), want: protocol.CodeOverCap,
			wallet: func() *paytest.Wallet {
				return iss.Authorize("alice", "A-2", "EUR", 2000, 5, now.Add(-time.Hour), 24*time.Hour)
			}},
		{name: "other currency", amount: money.Amount{Minor: 100, Currency: "USD"}, want: protocol.CodeCurrencyMismatch},
		{name: "credential in another currency than the terminal", amount: money.Amount{Minor: 100, Currency: "USD"}, want: protocol.CodeCurrencyMismatch,
			wallet: func() *paytest.Wallet {
				return iss.Authorize("alice", "A-3", "USD", 2000, 5, now.Add(-time.Hour), 24*time.Hour)
			}},
		// The code was made in the credential's last minute (a wallet makes none later); the terminal
		// sees it 47 hours after.
		{name: "expired credential", amount: eur(100), want: protocol.CodeCredentialExpired, at: now.Add(-47*time.Hour - time.Minute),
			wallet: func() *paytest.Wallet {
				return iss.Authorize("alice", "A-4", "EUR", 5000, 5, now.Add(-48*time.Hour), time.Hour)
			}},
		{name: "signed by an unknown server", amount: eur(100), want: protocol.CodeCredentialInvalid,
			wallet: func() *paytest.Wallet {
				return other.Authorize("alice", "A-5", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour)
			}},
		{name: "code from an old time step", amount: eur(100), at: now.Add(-time.Hour), want: protocol.CodeCodeExpired},
		{name: "count cap", amount: eur(100), want: protocol.CodeOfflineLimit, setup: func(t *testing.T, s queue.Store, v *Verifier) {
			w := iss.Authorize("bob", "B-1", "EUR", 5000, 10, now.Add(-time.Hour), 24*time.Hour)
			for i := 0; i < 3; i++ {
				mustApprove(t, s, v, w.Code(now), eur(100))
			}
		}},
		{name: "total cap", amount: eur(3001), want: protocol.CodeOfflineLimit, setup: func(t *testing.T, s queue.Store, v *Verifier) {
			w := iss.Authorize("bob", "B-1", "EUR", 5000, 10, now.Add(-time.Hour), 24*time.Hour)
			mustApprove(t, s, v, w.Code(now), eur(5000))
		}},
		{name: "oldest pending too old", amount: eur(100), want: protocol.CodeOfflineLimit, setup: func(t *testing.T, s queue.Store, v *Verifier) {
			w := iss.Authorize("bob", "B-1", "EUR", 5000, 10, now.Add(-3*time.Hour), 24*time.Hour)
			r := newSale(t, s, eur(100))
			if _, err := v.Approve(context.Background(), s, r, parse(t, w.Code(now.Add(-2*time.Hour))), now.Add(-2*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := queue.NewMemory()
			v := NewVerifier(iss.ServerKeys(), limits, true)
			if tc.setup != nil {
				tc.setup(t, s, v)
			}
			w := iss.Authorize("alice", "A-1", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour)
			if tc.wallet != nil {
				w = tc.wallet()
			}
			at := tc.at
			if at.IsZero() {
				at = now
			}
			r := newSale(t, s, tc.amount)
			got, err := v.Approve(context.Background(), s, r, parse(t, w.Code(at)), now)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("declined: %v", err)
				}
				assertStored(t, s, got, queue.StateQueued)
				if got.Kind != protocol.KindOffline || got.Masked != "a***e" || got.ApprovalCode[:3] != "OFF" {
					t.Fatalf("approved record: %+v", got)
				}
				return
			}
			var d *Decline
			if !errors.As(err, &d) || d.Code != tc.want || !errors.Is(err, ErrDeclined) {
				t.Fatalf("got %v, want decline %s", err, tc.want)
			}
			assertStored(t, s, r, queue.StateSending)
		})
	}
}

func mustApprove(t *testing.T, s queue.Store, v *Verifier, code string, amount money.Amount) {
	t.Helper()
	if _, err := v.Approve(context.Background(), s, newSale(t, s, amount), parse(t, code), now); err != nil {
		t.Fatal(err)
	}
}

func assertStored(t *testing.T, s queue.Store, r queue.Record, st queue.State) {
	t.Helper()
	s.View(context.Background(), func(tx queue.Tx) error {
		got, err := tx.Get(r.TxnID)
		if err != nil || got.State != st {
			t.Fatalf("stored %s in state %q (%v), want %q", r.TxnID, got.State, err, st)
		}
		return nil
	})
}

func TestReplayOnSameTerminal(t *testing.T) {
	iss := paytest.NewIssuer()
	s := queue.NewMemory()
	v := NewVerifier(iss.ServerKeys(), limits, true)
	code := iss.Authorize("alice", "A-1", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour).Code(now)
	first := newSale(t, s, eur(100))
	if _, err := v.Approve(context.Background(), s, first, parse(t, code), now); err != nil {
		t.Fatal(err)
	}
	// The same sale deciding again (after a crash) is not a replay.
	if _, err := v.Approve(context.Background(), s, first, parse(t, code), now); err != nil {
		t.Fatalf("re-approving the same sale: %v", err)
	}
	_, err := v.Approve(context.Background(), s, newSale(t, s, eur(100)), parse(t, code), now)
	var d *Decline
	if !errors.As(err, &d) || d.Code != protocol.CodeCodeUsed {
		t.Fatalf("replay: %v", err)
	}
}

func TestDisabled(t *testing.T) {
	iss := paytest.NewIssuer()
	v := NewVerifier(iss.ServerKeys(), limits, false)
	code := iss.Authorize("alice", "A-1", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour).Code(now)
	if err := v.Check(parse(t, code), eur(100), now); !errors.Is(err, ErrDeclined) {
		t.Fatalf("got %v", err)
	}
}

func TestStorageFailureIsNotAnApproval(t *testing.T) {
	iss := paytest.NewIssuer()
	s := queue.NewMemory()
	v := NewVerifier(iss.ServerKeys(), limits, true)
	r := newSale(t, s, eur(100))
	s.FailWrites = errors.New("no space left on device")
	code := iss.Authorize("alice", "A-1", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour).Code(now)
	if _, err := v.Approve(context.Background(), s, r, parse(t, code), now); !errors.Is(err, queue.ErrStorage) {
		t.Fatalf("got %v", err)
	}
	s.FailWrites = nil
	assertStored(t, s, r, queue.StateSending)
}

func TestApprovalCodeIsStable(t *testing.T) {
	if first, again := ApprovalCode("T-1-000000001"), ApprovalCode("T-1-000000001"); first != again || first == ApprovalCode("T-1-000000002") {
		t.Fatal("approval code not derived from the id")
	}
}
