package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

func testSweep(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.merchant("M1", "EUR")
	f.terminal("T1", "M1")
	f.user("U1")
	f.account("A1", "U1", "EUR", 100_000)
	exp := t0.Add(time.Hour)
	grace := 7 * 24 * time.Hour
	f.auth("Zexp", "U1", "A1", "EUR", 1000, 5, exp)
	f.auth("Zrev", "U1", "A1", "EUR", 1000, 5, t0.Add(30*24*time.Hour))
	f.auth("Zlive", "U1", "A1", "EUR", 1000, 5, t0.Add(30*24*time.Hour))
	if _, err := f.s.RevokeAuthorization(f.ctx, "Zrev", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	f.wantBalances(map[string]int64{"A1": 85_000})
	if o := f.apply1(pay("T1", "p1", "Zexp", 1, eur(300), t0.Add(time.Minute))); !o.Approved() {
		t.Fatal(o.Code)
	}
	// Nonces and sessions that Sweep forgets when they expire.
	if err := f.s.UseNonce(f.ctx, "T1", "n-old", t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UseNonce(f.ctx, "T1", "n-new", exp.Add(2*grace)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.CreateSession(f.ctx, store.Session{TokenHash: hash("s"), UserID: "U1", ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Inside the grace period nothing is released, and a late offline item settles from the hold.
	rep, err := f.s.Sweep(f.ctx, exp.Add(grace-time.Microsecond), grace)
	if err != nil || rep.HoldsReleased != 1 { // Zrev's grace ended earlier
		t.Fatalf("Sweep inside Zexp's grace = %+v, %v; want only Zrev released", rep, err)
	}
	if rep.NoncesDeleted != 1 || rep.SessionsDeleted != 1 {
		t.Errorf("Sweep forgot %d nonces and %d sessions, want the expired 1 and 1", rep.NoncesDeleted, rep.SessionsDeleted)
	}
	f.wantBalances(map[string]int64{store.HoldAccountID("Zexp"): 4000, store.HoldAccountID("Zrev"): 0, "A1": 85_700 + 5000})
	late := offline(pay("T1", "p2", "Zexp", 2, eur(800), exp.Add(grace-time.Second)), t0.Add(2*time.Minute))
	if o := f.apply1(late); !o.Approved() {
		t.Fatalf("late offline item inside the grace period: %s %s", o.Code, o.Message)
	}
	f.wantBalances(map[string]int64{store.HoldAccountID("Zexp"): 3000, "A1": 90_700 + 200})

	rep, err = f.s.Sweep(f.ctx, exp.Add(grace), grace)
	if err != nil || rep.HoldsReleased != 1 || rep.ReleasedMinor["EUR"] != 3000 || rep.More {
		t.Fatalf("Sweep at the end of Zexp's grace = %+v, %v; want 3000 EUR from one hold", rep, err)
	}
	if rep.NoncesDeleted != 0 || rep.SessionsDeleted != 0 {
		t.Errorf("second Sweep forgot %d nonces and %d sessions, want none", rep.NoncesDeleted, rep.SessionsDeleted)
	}
	f.wantBalances(map[string]int64{store.HoldAccountID("Zexp"): 0, "A1": 93_900, store.HoldAccountID("Zlive"): 5000})
	z, err := f.s.GetAuthorization(f.ctx, "Zexp")
	if err != nil || z.HoldClosedAt.IsZero() || z.Unreleased() != 0 || z.UsedCodes != 2 {
		t.Errorf("Zexp after the sweep = %+v, %v", z, err)
	}
	rep, err = f.s.Sweep(f.ctx, exp.Add(grace+time.Hour), grace)
	if err != nil || rep.HoldsReleased != 0 || len(rep.ReleasedMinor) != 0 {
		t.Errorf("second Sweep = %+v, %v; want nothing to do", rep, err)
	}
	// An offline item after the hold is gone is paid from the balance if it can be.
	o := f.apply1(offline(pay("T1", "p3", "Zexp", 3, eur(500), exp.Add(grace+time.Hour)), t0.Add(3*time.Minute)))
	if !o.Approved() {
		t.Errorf("offline item after the release: %s %s", o.Code, o.Message)
	}
	f.wantBalances(map[string]int64{"A1": 93_400})
	// The old nonce may be used again; the live one not.
	if err := f.s.UseNonce(f.ctx, "T1", "n-old", exp.Add(2*grace)); err != nil {
		t.Errorf("UseNonce after Sweep forgot it: %v", err)
	}
	if err := f.s.UseNonce(f.ctx, "T1", "n-new", exp.Add(2*grace)); !errors.Is(err, store.ErrNonceReplayed) {
		t.Errorf("UseNonce of a live nonce after Sweep: %v, want ErrNonceReplayed", err)
	}
	f.check()
}

func testNonces(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.shop(10_000)
	exp := t0.Add(10 * time.Minute)
	if err := f.s.UseNonce(f.ctx, "T1", "aa", exp); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UseNonce again", f.s.UseNonce(f.ctx, "T1", "aa", exp), store.ErrNonceReplayed)
	if err := f.s.UseNonce(f.ctx, "T2", "aa", exp); err != nil {
		t.Errorf("the same nonce from another terminal: %v", err)
	}
	wantErr(t, "UseNonce empty", f.s.UseNonce(f.ctx, "T1", "", exp), store.ErrInvalidArgument)
	wantErr(t, "UseNonce no expiry", f.s.UseNonce(f.ctx, "T1", "bb", time.Time{}), store.ErrInvalidArgument)
	wantErr(t, "UseNonce bad terminal", f.s.UseNonce(f.ctx, "", "bb", exp), store.ErrInvalidArgument)

	at := t0.Add(time.Minute)
	op := pay("T1", "p1", "Z1", 1, eur(100), at)
	outs, err := f.s.ApplySigned(f.ctx, store.Nonce{TerminalID: "T1", Nonce: "cc", ExpiresAt: exp}, []store.PaymentOp{op})
	if err != nil || len(outs) != 1 || !outs[0].Approved() {
		t.Fatalf("ApplySigned = %+v, %v", outs, err)
	}
	op2 := pay("T1", "p2", "Z1", 2, eur(100), at)
	_, err = f.s.ApplySigned(f.ctx, store.Nonce{TerminalID: "T1", Nonce: "cc", ExpiresAt: exp}, []store.PaymentOp{op2})
	wantErr(t, "ApplySigned with a used nonce", err, store.ErrNonceReplayed)
	_, err = f.s.GetTxn(f.ctx, op2.Key)
	wantErr(t, "op of a replayed request", err, store.ErrNotFound)
	f.wantBalances(map[string]int64{store.MerchantAccountID("M1"): 100})
	// A retry of the same op under a fresh nonce is a replay.
	outs, err = f.s.ApplySigned(f.ctx, store.Nonce{TerminalID: "T1", Nonce: "dd", ExpiresAt: exp}, []store.PaymentOp{op})
	if err != nil || !outs[0].Replayed {
		t.Errorf("ApplySigned retry = %+v, %v; want a replay", outs, err)
	}
	_, err = f.s.ApplySigned(f.ctx, store.Nonce{TerminalID: "T1", Nonce: "", ExpiresAt: exp}, []store.PaymentOp{op})
	wantErr(t, "ApplySigned without nonce", err, store.ErrInvalidArgument)
	f.check()
}

func testCodeFailures(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	u := store.Subject{Kind: store.SubjectUser, ID: "U1"}
	term := store.Subject{Kind: store.SubjectTerminal, ID: "T1"}
	at := t0 // 10:00 UTC
	for i := range 3 {
		c, err := f.s.RecordCodeFailures(f.ctx, []store.Subject{u, term}, at.Add(time.Duration(i)*time.Minute), at)
		if err != nil || len(c) != 2 || c[0].InWindow != i+1 || c[0].Today != i+1 || c[1].Today != i+1 {
			t.Fatalf("RecordCodeFailures #%d = %+v, %v", i, c, err)
		}
	}
	now := at.Add(10 * time.Minute)
	for _, tc := range []struct {
		name  string
		since time.Time
		now   time.Time
		want  store.FailureCount
	}{
		{"all in the window", at, now, store.FailureCount{InWindow: 3, Today: 3}},
		{"window from the second", at.Add(time.Minute), now, store.FailureCount{InWindow: 2, Today: 3}},
		{"window after all", now, now, store.FailureCount{InWindow: 0, Today: 3}},
		{"next UTC day", now, t0.Add(15 * time.Hour), store.FailureCount{InWindow: 0, Today: 0}},
	} {
		c, err := f.s.CodeFailures(f.ctx, u, tc.since, tc.now)
		if err != nil || c != tc.want {
			t.Errorf("%s: CodeFailures = %+v, %v; want %+v", tc.name, c, err, tc.want)
		}
	}
	// A failure on the next day starts a new day count.
	next := t0.Add(15 * time.Hour)
	c, err := f.s.RecordCodeFailures(f.ctx, []store.Subject{u}, next, next.Add(-time.Hour))
	if err != nil || c[0] != (store.FailureCount{InWindow: 1, Today: 1}) {
		t.Errorf("failure the next day = %+v, %v", c, err)
	}
	if err := f.s.ClearCodeFailures(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	if c, err := f.s.CodeFailures(f.ctx, u, t0, next); err != nil || c != (store.FailureCount{}) {
		t.Errorf("after Clear = %+v, %v", c, err)
	}
	if c, err := f.s.CodeFailures(f.ctx, term, t0, now); err != nil || c.InWindow != 3 {
		t.Errorf("terminal untouched by the user's Clear = %+v, %v", c, err)
	}
	// Failed logins of the same id are a counter of their own.
	login := store.Subject{Kind: store.SubjectLogin, ID: "U1"}
	if c, err := f.s.RecordCodeFailures(f.ctx, []store.Subject{login}, now, at); err != nil || c[0] != (store.FailureCount{InWindow: 1, Today: 1}) {
		t.Errorf("login failure = %+v, %v", c, err)
	}
	if c, err := f.s.CodeFailures(f.ctx, u, t0, now); err != nil || c != (store.FailureCount{}) {
		t.Errorf("user's code failures after a login failure = %+v, %v", c, err)
	}
	_, err = f.s.RecordCodeFailures(f.ctx, []store.Subject{{Kind: "planet", ID: "x"}}, at, at)
	wantErr(t, "RecordCodeFailures bad kind", err, store.ErrInvalidArgument)
	_, err = f.s.RecordCodeFailures(f.ctx, nil, at, at)
	wantErr(t, "RecordCodeFailures nothing", err, store.ErrInvalidArgument)
	_, err = f.s.CodeFailures(f.ctx, store.Subject{Kind: store.SubjectUser}, at, at)
	wantErr(t, "CodeFailures no id", err, store.ErrInvalidArgument)
}
