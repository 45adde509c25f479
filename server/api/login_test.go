package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestLoginLockout: after LoginFailuresToLock wrong passwords a user id is locked, even for the right
// password, until LoginLockout has passed or an operator unlocks it; the user's code-failure counter
// (which throttles payments) is not touched by password guessing.
func TestLoginLockout(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.admin.AddUser(ctx, admin.UserRequest{UserID: "bob", Password: "right password"}); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) error {
		_, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "bob", pw)
		return err
	}
	for i := range service.LoginFailuresToLock {
		if err := login("wrong"); !errors.Is(err, &protocol.Problem{Code: protocol.CodeBadCredentials}) {
			t.Fatalf("wrong password %d: err = %v, want bad_credentials", i+1, err)
		}
	}
	err := login("right password")
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Code != protocol.CodeUserLocked || p.Status != 429 || p.RetryAfterSeconds <= 0 {
		t.Fatalf("right password while locked: err = %v, want 429 user_locked with retry_after", err)
	}
	fc, err := s.store.CodeFailures(ctx, store.Subject{Kind: store.SubjectUser, ID: "bob"}, s.clock.Now().Add(-time.Hour), s.clock.Now())
	if err != nil || fc.Today != 0 {
		t.Fatalf("password guessing counted against bob's payments: %+v, %v", fc, err)
	}

	s.clock.Advance(service.LoginLockout + time.Second)
	if err := login("right password"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}

	// A success clears the count: the next lock needs LoginFailuresToLock new failures.
	for range service.LoginFailuresToLock - 1 {
		login("wrong")
	}
	if err := login("right password"); err != nil {
		t.Fatalf("below the limit: %v", err)
	}
	for range service.LoginFailuresToLock {
		login("wrong")
	}
	if err := login("right password"); !errors.Is(err, &protocol.Problem{Code: protocol.CodeUserLocked}) {
		t.Fatalf("locked again: err = %v", err)
	}
	if err := s.admin.Unlock(ctx, store.SubjectLogin, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := login("right password"); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}
