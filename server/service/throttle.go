package service

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// codeThrottle is the failed-code limits every payment op carries to the store, which checks them in
// the op's own transaction (store.Throttle), window ending at now.
func codeThrottle(now time.Time) *store.Throttle {
	return &store.Throttle{
		Since:    now.Add(-ThrottleWindow),
		User:     store.CodeLimits{PerWindow: UserFailuresPerWindow, PerDay: UserFailuresPerDay},
		Terminal: store.CodeLimits{PerWindow: TermFailuresPerWindow, PerDay: TermFailuresPerDay},
	}
}

// throttled checks a subject's failed-code counts against its limits outside any store transaction
// (flow 2's confirmations; payments are checked inside theirs, see codeThrottle) and returns the
// throttleProblem when it is at one, nil under them, or a store error.
func (s *Service) throttled(ctx context.Context, subj store.Subject, now time.Time) error {
	fc, err := s.store.CodeFailures(ctx, subj, now.Add(-ThrottleWindow), now)
	if err != nil {
		return fmt.Errorf("service: throttle %s %s: %w", subj.Kind, subj.ID, err)
	}
	if reached, daily := codeThrottle(now).Limits(subj.Kind).Reached(fc); reached {
		return throttleProblem(&store.ThrottledError{Subject: subj, Count: fc, Daily: daily}, now)
	}
	return nil
}

// throttleProblem is the 429 answer to an op the store refused under its limits, with Retry-After:
// user_locked for the daily cap (until the next UTC day), throttled for the sliding window.
func throttleProblem(te *store.ThrottledError, now time.Time) *protocol.Problem {
	if te.Daily {
		tomorrow := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		p := problem(http.StatusTooManyRequests, protocol.CodeUserLocked,
			"too many wrong codes today for this %s (%d); payments with codes resume at %s UTC or when an operator unlocks it",
			te.Subject.Kind, te.Count.Today, tomorrow.Format("2006-01-02 15:04"))
		p.RetryAfterSeconds = max(throttleRetryAfterFloor, int(tomorrow.Sub(now).Seconds()))
		return p
	}
	p := problem(http.StatusTooManyRequests, protocol.CodeThrottled,
		"too many wrong codes for this %s in the last %s; try again later", te.Subject.Kind, ThrottleWindow)
	p.RetryAfterSeconds = int(ThrottleWindow.Seconds())
	return p
}
