package front

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// RecordCodeFailures checks the subjects (ledger.ValidSubjects: 1..MaxOpsPerCall valid subjects) and
// normalises at.
func (f *Front) RecordCodeFailures(ctx context.Context, subjects []store.Subject, at, since time.Time) ([]store.FailureCount, error) {
	if err := ledger.ValidSubjects(subjects); err != nil {
		return nil, err
	}
	return f.engine.RecordCodeFailures(ctx, subjects, ledger.Norm(at), since)
}

// CodeFailures checks the subject.
func (f *Front) CodeFailures(ctx context.Context, sub store.Subject, since, now time.Time) (store.FailureCount, error) {
	if err := ledger.ValidSubject(sub); err != nil {
		return store.FailureCount{}, err
	}
	return f.engine.CodeFailures(ctx, sub, since, now)
}

// ClearCodeFailures checks the subject.
func (f *Front) ClearCodeFailures(ctx context.Context, sub store.Subject) error {
	if err := ledger.ValidSubject(sub); err != nil {
		return err
	}
	return f.engine.ClearCodeFailures(ctx, sub)
}

// DeleteSession checks the token hash.
func (f *Front) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if err := ledger.ValidHash("token hash", tokenHash); err != nil {
		return err
	}
	return f.engine.DeleteSession(ctx, tokenHash)
}

// Sweep normalises now.
func (f *Front) Sweep(ctx context.Context, now time.Time, grace time.Duration) (store.SweepReport, error) {
	return f.engine.Sweep(ctx, ledger.Norm(now), grace)
}

// RevokeTerminal normalises at (zero: now).
func (f *Front) RevokeTerminal(ctx context.Context, id string, at time.Time) (store.Terminal, error) {
	return f.engine.RevokeTerminal(ctx, id, ledger.Now(at))
}

// RevokeAuthorization normalises at (zero: now).
func (f *Front) RevokeAuthorization(ctx context.Context, id string, at time.Time) (store.Authorization, error) {
	return f.engine.RevokeAuthorization(ctx, id, ledger.Now(at))
}
