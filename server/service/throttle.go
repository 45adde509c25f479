package service

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// throttled checks a subject's failed-code counts against its limits and returns a 429 problem with
// Retry-After when it is over them: user_locked for the daily cap (until the next UTC day),
// throttled for the sliding window.
func (s *Service) throttled(ctx context.Context, subj store.Subject, now time.Time) error {
	perWindow, perDay := UserFailuresPerWindow, UserFailuresPerDay
	if subj.Kind == store.SubjectTerminal {
		perWindow, perDay = TermFailuresPerWindow, TermFailuresPerDay
	}
	fc, err := s.store.CodeFailures(ctx, subj, now.Add(-ThrottleWindow), now)
	if err != nil {
		return fmt.Errorf("service: throttle %s %s: %w", subj.Kind, subj.ID, err)
	}
	if fc.Today >= perDay {
		tomorrow := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		p := problem(http.StatusTooManyRequests, protocol.CodeUserLocked,
			"too many wrong codes today for this %s (%d); payments with codes resume at %s UTC or when an operator unlocks it",
			subj.Kind, fc.Today, tomorrow.Format("2006-01-02 15:04"))
		p.RetryAfterSeconds = max(throttleRetryAfterFloor, int(tomorrow.Sub(now).Seconds()))
		return p
	}
	if fc.InWindow >= perWindow {
		p := problem(http.StatusTooManyRequests, protocol.CodeThrottled,
			"too many wrong codes for this %s in the last %s; try again later", subj.Kind, ThrottleWindow)
		p.RetryAfterSeconds = int(ThrottleWindow.Seconds())
		return p
	}
	return nil
}
