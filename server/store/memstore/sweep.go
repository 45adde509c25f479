package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) Sweep(ctx context.Context, now time.Time, grace time.Duration) (store.SweepReport, error) {
	if err := s.lock(ctx); err != nil {
		return store.SweepReport{}, err
	}
	defer s.mu.Unlock()
	rep := store.SweepReport{ReleasedMinor: map[string]int64{}}
	var due []store.Authorization
	for _, a := range s.auths {
		if a.HoldClosedAt.IsZero() && !now.Before(ledger.ClosesAt(a).Add(grace)) {
			due = append(due, a)
		}
	}
	slices.SortFunc(due, func(a, b store.Authorization) int {
		return cmp.Or(ledger.ClosesAt(a).Compare(ledger.ClosesAt(b)), cmp.Compare(a.ID, b.ID))
	})
	if len(due) > sweepLimit {
		due, rep.More = due[:sweepLimit], true
	}
	for _, a := range due {
		bal := s.accounts[a.HoldAccountID].Balance
		if e := ledger.ReleaseEntry(a, bal, now); e != nil {
			s.appendEntry(e)
			a.ReleasedMinor += bal
			rep.ReleasedMinor[a.Currency] += bal
		}
		a.HoldClosedAt = now
		s.auths[a.ID] = a
		rep.HoldsReleased++
	}
	for k, exp := range s.nonces {
		if !now.Before(exp) {
			delete(s.nonces, k)
			rep.NoncesDeleted++
		}
	}
	for k, ss := range s.sessions {
		if !now.Before(ss.ExpiresAt) {
			delete(s.sessions, k)
			rep.SessionsDeleted++
		}
	}
	for k, f := range s.failures {
		f.Times = slices.Clone(f.Times)
		ledger.PruneFailures(&f, now)
		if len(f.Times) == 0 && ledger.CountFailures(f, now, now).Today == 0 {
			delete(s.failures, k)
		} else {
			s.failures[k] = f
		}
	}
	return rep, nil
}
