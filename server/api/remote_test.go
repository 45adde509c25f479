package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// from sends a POST to the stack's handler as if from remote (host:port), over TLS or not. Tests
// listen on loopback only, so another client address is given to the real handler this way.
func (s *stack) from(remote string, overTLS bool, path, bearerToken string, body any) (int, protocol.Problem) {
	s.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
	req.RemoteAddr = remote
	if overTLS {
		req.TLS = &tls.ConnectionState{}
	}
	if bearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+bearerToken)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var p protocol.Problem
	if rec.Code >= 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			s.t.Fatalf("%s from %s: %d without a problem document: %s", path, remote, rec.Code, rec.Body)
		}
	}
	return rec.Code, p
}

// TestFailedLoginsAreLimitedPerSource: one address spraying wrong passwords over many user ids (one
// guess each, far below any user's lockout) is throttled after LoginFailuresPerSource failures,
// even for a right password; another address still logs the same users in; an IPv6 client counts
// per /64; an operator can unlock an address.
func TestFailedLoginsAreLimitedPerSource(t *testing.T) {
	testenv.SkipIfShort(t, "runs logins until the per-source limit, with password hashing")
	s := newStack(t)
	ctx := context.Background()
	for _, u := range []string{"u0", "u1", "u2"} {
		if _, err := s.admin.AddUser(ctx, admin.UserRequest{UserID: u, Password: "right password"}); err != nil {
			t.Fatal(err)
		}
	}
	login := func(remote, user, pw string) (int, protocol.Problem) {
		return s.from(remote, true, protocol.PathSessions, "", protocol.SessionRequest{UserID: user, Password: pw})
	}
	// spray sends LoginFailuresPerSource wrong guesses at once from the addresses addr(i), one per user
	// id: the real users and ids that do not exist (which count the same).
	spray := func(addr func(i int) string) {
		t.Helper()
		var wg sync.WaitGroup
		for i := range service.LoginFailuresPerSource {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st, p := login(addr(i), fmt.Sprintf("u%d", i), "guess"); st != http.StatusUnauthorized || p.Code != protocol.CodeBadCredentials {
					t.Errorf("guess %d from %s: %d %+v", i, addr(i), st, p)
				}
			}()
		}
		wg.Wait()
	}
	const attacker = "198.51.100.7:40000"
	spray(func(int) string { return attacker })
	st, p := login(attacker, "u2", "right password")
	if st != http.StatusTooManyRequests || p.Code != protocol.CodeThrottled || p.RetryAfterSeconds <= 0 {
		t.Fatalf("the address over its limit, right password: %d %+v", st, p)
	}
	// The users are not locked: the same user ids log in from another address.
	if st, p := login("203.0.113.9:5000", "u0", "right password"); st != http.StatusCreated {
		t.Fatalf("a sprayed user from another address: %d %+v", st, p)
	}
	// IPv6: the /64 is one source.
	spray(func(i int) string { return fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1) })
	if st, p := login("[2001:db8:1:2::ffff]:443", "u2", "right password"); st != http.StatusTooManyRequests || p.Code != protocol.CodeThrottled {
		t.Fatalf("another address of the same /64: %d %+v", st, p)
	}
	if st, _ := login("[2001:db8:1:3::1]:443", "u2", "right password"); st != http.StatusCreated {
		t.Fatalf("another /64: %d", st)
	}
	// The operator unlocks the address.
	if err := s.admin.Unlock(ctx, store.SubjectSource, "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	if st, p := login(attacker, "u2", "right password"); st != http.StatusCreated {
		t.Fatalf("after unlocking the address: %d %+v", st, p)
	}
}

// TestPasswordsOverPlainHTTPOnlyFromLoopback: a login or a user creation over plain HTTP from
// another host is refused 403 tls_required before any password is checked; over TLS, from
// loopback, or with AllowPlainPasswords (a TLS-terminating proxy) it goes through.
func TestPasswordsOverPlainHTTPOnlyFromLoopback(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.admin.AddUser(ctx, admin.UserRequest{UserID: "alice", Password: "right password"}); err != nil {
		t.Fatal(err)
	}
	sess := protocol.SessionRequest{UserID: "alice", Password: "right password"}
	user := admin.UserRequest{UserID: "bob", Password: "right password"}
	for _, remote := range []string{"192.0.2.1:1234", "[2001:db8::1]:1234", "[::ffff:192.0.2.1]:1234"} {
		if st, p := s.from(remote, false, protocol.PathSessions, "", sess); st != http.StatusForbidden || p.Code != protocol.CodeTLSRequired {
			t.Errorf("login over plain HTTP from %s: %d %+v", remote, st, p)
		}
		if st, p := s.from(remote, false, admin.PathUsers, testAdminToken, user); st != http.StatusForbidden || p.Code != protocol.CodeTLSRequired {
			t.Errorf("user creation over plain HTTP from %s: %d %+v", remote, st, p)
		}
	}
	if _, err := s.store.GetUser(ctx, "bob"); err == nil {
		t.Fatal("a refused user creation stored the user")
	}
	if st, p := s.from("192.0.2.1:1234", true, protocol.PathSessions, "", sess); st != http.StatusCreated {
		t.Fatalf("login over TLS: %d %+v", st, p)
	}
	for _, remote := range []string{"127.0.0.1:5000", "[::1]:5000"} {
		if st, p := s.from(remote, false, protocol.PathSessions, "", sess); st != http.StatusCreated {
			t.Fatalf("login over plain HTTP from %s: %d %+v", remote, st, p)
		}
	}
	proxied := newStackWith(t, storeBolt, func(_ *service.Config, c *Config) { c.AllowPlainPasswords = true })
	if st, p := proxied.from("192.0.2.1:1234", false, admin.PathUsers, testAdminToken, user); st != http.StatusCreated {
		t.Fatalf("user creation with AllowPlainPasswords: %d %+v", st, p)
	}
}
