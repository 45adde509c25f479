package boltstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// openSeeded opens a store in a temporary directory with one terminal, user and account and auths
// authorizations (seedBench).
func openSeeded(t *testing.T, auths int) (*Store, benchWorld) {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w := benchWorld{auths: auths}
	seedBench(t, s, 1, w)
	return s, w
}

// groupOf runs the calls as one group: the writer is blocked until all of them are queued, in order.
func groupOf(t *testing.T, s *Store, calls ...func()) {
	t.Helper()
	release := blockWriter(t, s)
	done := make(chan struct{}, len(calls))
	for i, call := range calls {
		go func() { call(); done <- struct{}{} }()
		waitQueued(s, i+1)
	}
	release()
	for range calls {
		<-done
	}
}

// TestGroupSharesLedgerCache: the payments of a group share one cache, written back before any other
// request of the group runs. A revocation between two payments of one authorization keeps the
// counters of the first, and the second sees the revocation.
func TestGroupSharesLedgerCache(t *testing.T) {
	ctx := context.Background()
	s, w := openSeeded(t, 1)
	before := s.Stats()
	first, second := w.op(0, 0), w.op(0, 1)
	second.Now = benchAt.Add(time.Hour) // after the revocation
	var outs [2][]store.Outcome
	var errs [3]error
	groupOf(t, s,
		func() { outs[0], errs[0] = s.ApplyPayments(ctx, []store.PaymentOp{first}) },
		func() { _, errs[1] = s.RevokeAuthorization(ctx, first.AuthorizationID, benchAt.Add(30*time.Minute)) },
		func() { outs[1], errs[2] = s.ApplyPayments(ctx, []store.PaymentOp{second}) },
	)
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	// Two commits: the request that blocked the writer, then the group.
	if after := s.Stats(); after.Commits-before.Commits != 2 || after.Requests-before.Requests != 4 {
		t.Errorf("%d commits of %d requests, want 2 of 4", after.Commits-before.Commits, after.Requests-before.Requests)
	}
	if !outs[0][0].Approved() {
		t.Errorf("first payment: %+v", outs[0][0])
	}
	if outs[1][0].Code != protocol.CodeCredentialRevoked {
		t.Errorf("payment after the revocation: %+v, want %s", outs[1][0], protocol.CodeCredentialRevoked)
	}
	a, err := s.GetAuthorization(ctx, first.AuthorizationID)
	if err != nil {
		t.Fatal(err)
	}
	if a.UsedCodes != 1 || a.RevokedAt.IsZero() || a.ReleasedMinor != benchCapPerPayment {
		t.Errorf("authorization after the group: used %d, released %d, revoked at %s; want 1, %d, set",
			a.UsedCodes, a.ReleasedMinor, a.RevokedAt, benchCapPerPayment)
	}
	if rep, err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v %q", err, rep.Problems)
	}
}

// TestLedgerRefusalAfterWriting: a ledger request that changes the group's cache and then returns a
// plain error (which promises nothing was written) must not leave its change behind: the group is
// retried one by one, the others commit and it gets its error.
func TestLedgerRefusalAfterWriting(t *testing.T) {
	ctx := context.Background()
	s, w := openSeeded(t, 2)
	acct, err := s.GetAccount(ctx, "A0")
	if err != nil {
		t.Fatal(err)
	}
	errRefused := errors.New("refused")
	var outs [2][]store.Outcome
	var errs [3]error
	groupOf(t, s,
		func() { outs[0], errs[0] = s.ApplyPayments(ctx, []store.PaymentOp{w.op(0, 0)}) },
		func() {
			errs[1] = s.e.w.doLedger(ctx, 1, func(t ltx) error {
				if err := t.setBalance("A0", 1); err != nil {
					return err
				}
				return errRefused
			})
		},
		func() { outs[1], errs[2] = s.ApplyPayments(ctx, []store.PaymentOp{w.op(0, 1)}) },
	)
	if errs[0] != nil || errs[2] != nil || !outs[0][0].Approved() || !outs[1][0].Approved() {
		t.Fatalf("the payments around the refusal: %v %v %+v %+v", errs[0], errs[2], outs[0], outs[1])
	}
	if !errors.Is(errs[1], errRefused) {
		t.Errorf("the refusal got %v, want %v", errs[1], errRefused)
	}
	got, err := s.GetAccount(ctx, "A0")
	if err != nil {
		t.Fatal(err)
	}
	if want := acct.Balance + 2*benchCapPerPayment - outs[0][0].Amount.Minor - outs[1][0].Amount.Minor; got.Balance != want {
		t.Errorf("balance of A0 = %d, want %d", got.Balance, want)
	}
	if rep, err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v %q", err, rep.Problems)
	}
}
