package wallet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet/wallettest"
)

// start is a fixed wall-clock instant for the tests, in the middle of a time step.
var start = time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }

var defaultOptions = AuthorizeOptions{AccountID: wallettest.Account, CapPerPayment: eur(2000), Codes: 5, TTL: 24 * time.Hour}

// authorized returns a wallet in a fresh home that has logged in and authorized.
func authorized(t *testing.T) (*Wallet, string, *wallettest.Server, *clocktest.Fake) {
	t.Helper()
	clock := clocktest.NewFake(start)
	srv := wallettest.New(t, clock.Now)
	home := filepath.Join(t.TempDir(), "home")
	w := New(Config{Store: DirStore{Home: home}, Clock: clock})
	ctx := context.Background()
	if _, err := w.Login(ctx, srv.URL, wallettest.User, wallettest.Password); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := w.Authorize(ctx, defaultOptions); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	return w, home, srv, clock
}

// offline is an HTTP client that fails the test if anything uses it.
func offline(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("network used: %s %s", r.Method, r.URL)
		return nil, errors.New("offline")
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLoginAuthorizeStatus(t *testing.T) {
	w, home, srv, _ := authorized(t)
	st, err := w.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.UserID != wallettest.User || st.AccountID != wallettest.Account || st.CapPerPayment != eur(2000) ||
		st.MaxCodes != 5 || st.CodesLeft != 5 || st.CodesUsed != 0 || st.Hold != eur(10000) ||
		!st.ExpiresAt.Equal(start.Truncate(time.Second).Add(24*time.Hour)) || st.Expired || st.ServerURL != srv.URL {
		t.Fatalf("Status = %+v", st)
	}
	for _, name := range []string{SessionFile, AuthorizationFile, DeviceKeyFile} {
		fi, err := os.Stat(filepath.Join(home, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(home); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("home mode: %v %v, want 0700", fi.Mode().Perm(), err)
	}
	// The server got this device's key and the limits asked for.
	key, err := DirStore{Home: home}.DeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	req := srv.Requests()[0]
	if !ed25519.PublicKey(req.DevicePublicKey).Equal(key.Public()) || req.MaxCodes != 5 ||
		req.CapPerPayment != eur(2000) || req.TTLSeconds != 86400 {
		t.Fatalf("authorization request = %+v", req)
	}
}

func TestLoginErrors(t *testing.T) {
	clock := clocktest.NewFake(start)
	srv := wallettest.New(t, clock.Now)
	plain := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream exploded", http.StatusBadGateway)
	})
	big := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"token":"` + strings.Repeat("x", protocol.MaxBodyBytes) + `"}`))
	})
	otherUser := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"token":"t","user_id":"mallory"}`))
	})
	tests := []struct {
		name, url, user, password string
		want                      error
		code                      protocol.Code
	}{
		{"wrong password", srv.URL, wallettest.User, "nope", nil, protocol.CodeBadCredentials},
		{"not a problem document", plain, wallettest.User, wallettest.Password, ErrBadResponse, ""},
		{"oversized answer", big, wallettest.User, wallettest.Password, ErrBadResponse, ""},
		{"session for another user", otherUser, wallettest.User, wallettest.Password, ErrBadResponse, ""},
		{"bad scheme", "ftp://127.0.0.1", wallettest.User, wallettest.Password, ErrServerURL, ""},
		{"no host", "http://", wallettest.User, wallettest.Password, ErrServerURL, ""},
		{"empty user", srv.URL, "", wallettest.Password, ErrInvalidRequest, ""},
		{"empty password", srv.URL, wallettest.User, "", ErrInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &MemStore{}
			w := New(Config{Store: store, Clock: clock})
			_, err := w.Login(context.Background(), tt.url, tt.user, tt.password)
			if tt.code != "" {
				var p *protocol.Problem
				if !errors.As(err, &p) || p.Code != tt.code {
					t.Fatalf("Login = %v, want problem %s", err, tt.code)
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("Login = %v, want %v", err, tt.want)
			}
			if _, err := store.LoadSession(); !errors.Is(err, ErrNotLoggedIn) {
				t.Fatalf("a failed login stored a session: %v", err)
			}
		})
	}
}

func httptestServer(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAuthorizeErrors(t *testing.T) {
	otherKey := func(r *protocol.AuthorizationResponse) {
		_, k, _ := ed25519.GenerateKey(nil)
		c, _ := credential.Parse(r.Credential)
		c.DevicePublicKey = k.Public().(ed25519.PublicKey)
		r.Credential = resign(c, r)
	}
	tests := []struct {
		name   string
		opt    AuthorizeOptions
		tamper func(*protocol.AuthorizationResponse)
		want   error
		code   protocol.Code
	}{
		{"unknown account", AuthorizeOptions{AccountID: "acct-bob", CapPerPayment: eur(1), Codes: 1, TTL: time.Hour}, nil, nil, protocol.CodeAccountNotFound},
		{"short secret", defaultOptions, func(r *protocol.AuthorizationResponse) { r.Secret = r.Secret[:16] }, ErrBadResponse, ""},
		{"credential for another device", defaultOptions, otherKey, ErrBadResponse, ""},
		{"credential for another user", defaultOptions, func(r *protocol.AuthorizationResponse) {
			c, _ := credential.Parse(r.Credential)
			c.UserID = "mallory"
			r.Credential = resign(c, r)
		}, ErrBadResponse, ""},
		{"authorization id differs", defaultOptions, func(r *protocol.AuthorizationResponse) { r.AuthorizationID = "a-other" }, ErrBadResponse, ""},
		{"credential not signed by a listed key", defaultOptions, func(r *protocol.AuthorizationResponse) {
			_, k, _ := ed25519.GenerateKey(nil)
			r.ServerKeys[0].PublicKey = k.Public().(ed25519.PublicKey)
		}, ErrBadResponse, ""},
		{"garbled credential", defaultOptions, func(r *protocol.AuthorizationResponse) { r.Credential = r.Credential[:50] }, ErrBadResponse, ""},
		{"no account", AuthorizeOptions{CapPerPayment: eur(1), Codes: 1, TTL: time.Hour}, nil, ErrInvalidRequest, ""},
		{"zero cap", AuthorizeOptions{AccountID: wallettest.Account, CapPerPayment: eur(0), Codes: 1, TTL: time.Hour}, nil, ErrInvalidRequest, ""},
		{"zero codes", AuthorizeOptions{AccountID: wallettest.Account, CapPerPayment: eur(1), Codes: 0, TTL: time.Hour}, nil, ErrInvalidRequest, ""},
		{"too many codes", AuthorizeOptions{AccountID: wallettest.Account, CapPerPayment: eur(1), Codes: credential.MaxCodes + 1, TTL: time.Hour}, nil, ErrInvalidRequest, ""},
		{"no ttl", AuthorizeOptions{AccountID: wallettest.Account, CapPerPayment: eur(1), Codes: 1}, nil, ErrInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clocktest.NewFake(start)
			srv := wallettest.New(t, clock.Now)
			srv.Tamper(tt.tamper)
			store := &MemStore{}
			w := New(Config{Store: store, Clock: clock})
			if _, err := w.Login(context.Background(), srv.URL, wallettest.User, wallettest.Password); err != nil {
				t.Fatal(err)
			}
			_, err := w.Authorize(context.Background(), tt.opt)
			if tt.code != "" {
				if protocol.ProblemCode(err) != tt.code {
					t.Fatalf("Authorize = %v, want problem %s", err, tt.code)
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("Authorize = %v, want %v", err, tt.want)
			}
			if _, err := store.LoadAuthorization(); !errors.Is(err, ErrNotAuthorized) {
				t.Fatalf("a refused authorization was stored: %v", err)
			}
		})
	}
}

// resign signs a changed credential with a new server key and lists that key, so only the check
// under test can catch the change.
func resign(c credential.Credential, r *protocol.AuthorizationResponse) []byte {
	_, k, _ := ed25519.GenerateKey(nil)
	s, err := credential.Sign(c, c.KeyID, k)
	if err != nil {
		panic(err)
	}
	r.ServerKeys = []protocol.ServerKey{{KeyID: c.KeyID, PublicKey: k.Public().(ed25519.PublicKey)}}
	return s.Marshal()
}

func TestAuthorizeNeedsSession(t *testing.T) {
	clock := clocktest.NewFake(start)
	w := New(Config{Store: &MemStore{}, Clock: clock, HTTPClient: offline(t)})
	if _, err := w.Authorize(context.Background(), defaultOptions); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Authorize without login = %v, want ErrNotLoggedIn", err)
	}
	store := &MemStore{}
	store.SaveSession(Session{ServerURL: "http://127.0.0.1:1", UserID: wallettest.User, Token: "t", ExpiresAt: start})
	w = New(Config{Store: store, Clock: clock, HTTPClient: offline(t)})
	if _, err := w.Authorize(context.Background(), defaultOptions); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Authorize with an expired session = %v, want ErrSessionExpired", err)
	}
}

// TestCodes makes every code of an authorization, offline, and checks each one the way a terminal
// (offline) and the server (with the secret) would.
func TestCodes(t *testing.T) {
	_, home, srv, clock := authorized(t)
	// A new wallet on the same home, with no network: what `wallet code` is.
	w := New(Config{Store: DirStore{Home: home}, Clock: clock, HTTPClient: offline(t)})
	keys := credential.KeySetFrom(srv.ServerKeys()).Lookup
	for i := range uint32(5) {
		c, err := w.NextCode()
		if err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
		if c.Counter != i || c.CodesLeft != 4-i || c.Step != otp.StepAt(clock.Now()) ||
			!c.ValidUntil.Equal(otp.StepStart(c.Step+2)) {
			t.Fatalf("code %d = %+v", i, c)
		}
		p, err := payload.Parse(c.Text)
		if err != nil {
			t.Fatalf("code %d: Parse: %v", i, err)
		}
		if err := p.VerifyOffline(keys, eur(2000), clock.Now()); err != nil {
			t.Fatalf("code %d: VerifyOffline: %v", i, err)
		}
		if err := otp.VerifyPaymentCode(srv.Secret(p.AuthorizationID), p.Step, p.Counter, p.Code, clock.Now()); err != nil {
			t.Fatalf("code %d: server check: %v", i, err)
		}
		clock.Advance(7 * time.Second)
	}
	if _, err := w.NextCode(); !errors.Is(err, ErrNoCodesLeft) {
		t.Fatalf("sixth code = %v, want ErrNoCodesLeft", err)
	}
	st, err := w.Status()
	if err != nil || st.CodesLeft != 0 || st.CodesUsed != 5 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
}

// TestCounterSurvivesRestart checks that the counter is on disk after NextCode returns: a fresh
// wallet on the same home continues after it.
func TestCounterSurvivesRestart(t *testing.T) {
	_, home, _, clock := authorized(t)
	for want := range uint32(3) {
		w := New(Config{Store: DirStore{Home: home}, Clock: clock, HTTPClient: offline(t)})
		c, err := w.NextCode()
		if err != nil || c.Counter != want {
			t.Fatalf("restart %d: counter %d, %v", want, c.Counter, err)
		}
	}
}

// TestConcurrentCodes runs wallets on one home at once, as two `wallet code` processes would: no
// counter may come out twice.
func TestConcurrentCodes(t *testing.T) {
	w, home, _, clock := authorized(t)
	if _, err := w.Authorize(context.Background(), AuthorizeOptions{AccountID: wallettest.Account, CapPerPayment: eur(100), Codes: 40, TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[uint32]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := New(Config{Store: DirStore{Home: home}, Clock: clock, HTTPClient: offline(t)})
			for range 10 {
				c, err := w.NextCode()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[c.Counter] {
					t.Errorf("counter %d shown twice", c.Counter)
				}
				seen[c.Counter] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Fatalf("%d distinct counters, want 40", len(seen))
	}
}

func TestNoCodeWhenSaveFails(t *testing.T) {
	_, home, _, clock := authorized(t)
	src := DirStore{Home: home}
	a, err := src.LoadAuthorization()
	if err != nil {
		t.Fatal(err)
	}
	key, err := src.DeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	store := &MemStore{key: key, auth: &a}
	store.FailSave = errors.New("disk full")
	w := New(Config{Store: store, Clock: clock, HTTPClient: offline(t)})
	if c, err := w.NextCode(); err == nil || c.Text != "" {
		t.Fatalf("NextCode with a failing store = %+v, %v; want no code", c, err)
	}
	store.FailSave = nil
	c, err := w.NextCode()
	if err != nil || c.Counter != 0 {
		t.Fatalf("after the disk recovered: counter %d, %v; want 0 (the failed save spent nothing)", c.Counter, err)
	}
}

func TestCodeErrors(t *testing.T) {
	w, home, _, clock := authorized(t)
	clock.Advance(24 * time.Hour)
	if _, err := w.NextCode(); !errors.Is(err, ErrAuthorizationExpired) {
		t.Fatalf("NextCode after expiry = %v, want ErrAuthorizationExpired", err)
	}
	if st, err := w.Status(); err != nil || !st.Expired {
		t.Fatalf("Status after expiry = %+v, %v", st, err)
	}

	fresh := New(Config{Store: DirStore{Home: t.TempDir()}, Clock: clock, HTTPClient: offline(t)})
	if _, err := fresh.NextCode(); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("NextCode before authorize = %v, want ErrNotAuthorized", err)
	}
	if _, err := fresh.Status(); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("Status before authorize = %v, want ErrNotAuthorized", err)
	}

	// A replaced device key no longer matches the credential: no code, nothing spent.
	clock.Advance(-24 * time.Hour)
	if err := os.Remove(filepath.Join(home, DeviceKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.NextCode(); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("NextCode with another device key = %v, want ErrCorruptState", err)
	}

	// A state file others can read is refused, as key files are.
	path := filepath.Join(home, AuthorizationFile)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Status(); err == nil {
		t.Fatal("Status read a world-readable state file")
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Status(); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("Status on a corrupt file = %v, want ErrCorruptState", err)
	}
}

func TestDefaultHome(t *testing.T) {
	t.Setenv(HomeEnv, "/tmp/wallet-x")
	if h, err := DefaultHome(); err != nil || h != "/tmp/wallet-x" {
		t.Fatalf("DefaultHome = %q, %v", h, err)
	}
	t.Setenv(HomeEnv, "")
	t.Setenv("HOME", "/home/someone")
	if h, err := DefaultHome(); err != nil || h != "/home/someone/.stillpay-wallet" {
		t.Fatalf("DefaultHome = %q, %v", h, err)
	}
}
