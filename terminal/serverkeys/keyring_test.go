package serverkeys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
)

// keyServer is settlementd's GET /v1/keys on loopback, answering whatever list it is given.
type keyServer struct {
	mu    sync.Mutex
	keys  []protocol.ServerKey
	down  bool
	calls atomic.Int64
	url   string
}

func newKeyServer(t *testing.T, keys ...protocol.ServerKey) *keyServer {
	ks := &keyServer{keys: keys}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.calls.Add(1)
		ks.mu.Lock()
		defer ks.mu.Unlock()
		if r.URL.Path != protocol.PathServerKeys || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		if ks.down {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(protocol.Problem{Status: 503, Title: "Unavailable", Code: protocol.CodeInternal})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": ks.keys})
	}))
	t.Cleanup(srv.Close)
	ks.url = srv.URL
	return ks
}

func (ks *keyServer) set(keys ...protocol.ServerKey) {
	ks.mu.Lock()
	ks.keys = keys
	ks.mu.Unlock()
}

func (ks *keyServer) setDown(down bool) {
	ks.mu.Lock()
	ks.down = down
	ks.mu.Unlock()
}

// rig is a terminal enrolled with enrolled's key: an identity file and a keyring saving to it.
type rig struct {
	ring     *Keyring
	path     string
	clock    *clocktest.Fake
	enrolled *paytest.Issuer
}

func newRig(t *testing.T, srv *keyServer, enrolled *paytest.Issuer) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "identity.json")
	id := config.IdentityState{TerminalID: "T-1", MerchantID: "M-1", ServerKeys: enrolled.ServerKeys()}
	if err := config.SaveIdentity(path, id); err != nil {
		t.Fatal(err)
	}
	r := &rig{path: path, clock: clocktest.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), enrolled: enrolled}
	api := client.New(client.Options{BaseURL: srv.url, TerminalID: "T-1", Timeout: 2 * time.Second})
	r.ring = New(Options{Trusted: id.ServerKeys, Server: api, Clock: r.clock,
		Save: func(k []protocol.ServerKey) error { return config.SaveServerKeys(path, k) }})
	return r
}

func (r *rig) savedKeyIDs(t *testing.T) []string {
	t.Helper()
	id, err := config.LoadIdentity(r.path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range id.ServerKeys {
		ids = append(ids, k.KeyID)
	}
	return ids
}

func approvalBy(t *testing.T, iss *paytest.Issuer) protocol.SignedApproval {
	t.Helper()
	sa, err := protocol.SignApproval(protocol.Approval{ApprovalID: "AP-1", TerminalTxnID: "T-1-1"}, iss.KeyID, iss.Key)
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

func TestLearnFollowsAnEndorsedRotation(t *testing.T) {
	k1 := paytest.NewIssuer()
	k2 := k1.Rotate("k2")
	k3 := k2.Rotate("k3")
	srv := newKeyServer(t, k1.ServerKey(), k2.ServerKey(), k3.ServerKey())
	r := newRig(t, srv, k1)

	sa := approvalBy(t, k3)
	if _, err := r.ring.VerifyApproval(sa); !errors.Is(err, protocol.ErrUnknownKey) {
		t.Fatalf("before learning: err = %v, want ErrUnknownKey", err)
	}
	if err := r.ring.Learn(context.Background(), "k3"); err != nil {
		t.Fatal(err)
	}
	if ap, err := r.ring.VerifyApproval(sa); err != nil || ap.ApprovalID != "AP-1" {
		t.Fatalf("after learning: %+v %v", ap, err)
	}
	if pub, ok := r.ring.Lookup("k2"); !ok || !bytes.Equal(pub, k2.ServerKey().PublicKey) {
		t.Fatal("the offline lookup does not see k2")
	}
	if got := r.savedKeyIDs(t); len(got) != 3 || got[0] != "k1" || got[1] != "k2" || got[2] != "k3" {
		t.Fatalf("identity file lists %v, want [k1 k2 k3]", got)
	}
	if st, err := os.Stat(r.path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("identity file mode: %v %v", st.Mode(), err)
	}
	calls := srv.calls.Load()
	if err := r.ring.Learn(context.Background(), "k2"); err != nil || srv.calls.Load() != calls {
		t.Fatalf("learning a known key fetched again (%d -> %d calls): %v", calls, srv.calls.Load(), err)
	}
	// A restart reads the keys from the identity file.
	id, err := config.LoadIdentity(r.path)
	if err != nil {
		t.Fatal(err)
	}
	restarted := New(Options{Trusted: id.ServerKeys})
	if _, err := restarted.VerifyApproval(sa); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
}

// TestKeysTheTerminalMustNotTrust is a server (or anyone on the link) offering keys that no
// trusted key endorses: nothing is trusted, nothing is saved, the approval stays unverifiable.
func TestKeysTheTerminalMustNotTrust(t *testing.T) {
	k1 := paytest.NewIssuer()
	stranger := paytest.Unendorsed("k9")
	impostorK1 := paytest.Unendorsed("k1")
	forged := impostorK1.Rotate("k9") // endorsed by a substituted "k1"
	tests := []struct {
		name  string
		offer []protocol.ServerKey
		want  error
	}{
		{"unendorsed key", []protocol.ServerKey{k1.ServerKey(), stranger.ServerKey()}, protocol.ErrKeyNotEndorsed},
		{"trusted id substituted", []protocol.ServerKey{impostorK1.ServerKey(), forged.ServerKey()}, protocol.ErrKeyConflict},
		{"endorsement by a key not trusted", []protocol.ServerKey{k1.ServerKey(), forged.ServerKey()}, protocol.ErrEndorsementInvalid},
		{"key not listed", []protocol.ServerKey{k1.ServerKey()}, ErrUntrustedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newKeyServer(t, tc.offer...)
			r := newRig(t, srv, k1)
			before, err := os.ReadFile(r.path)
			if err != nil {
				t.Fatal(err)
			}
			err = r.ring.Learn(context.Background(), "k9")
			if !errors.Is(err, ErrUntrustedKey) || !errors.Is(err, tc.want) {
				t.Fatalf("Learn: err = %v, want ErrUntrustedKey and %v", err, tc.want)
			}
			if _, ok := r.ring.Lookup("k9"); ok {
				t.Fatal("the offline lookup trusts k9")
			}
			for _, iss := range []*paytest.Issuer{stranger, forged} {
				if _, err := r.ring.VerifyApproval(approvalBy(t, iss)); !errors.Is(err, protocol.ErrUnknownKey) {
					t.Fatalf("approval by an untrusted %s: err = %v", iss.KeyID, err)
				}
			}
			after, _ := os.ReadFile(r.path)
			if !bytes.Equal(before, after) {
				t.Fatalf("the identity file changed:\n%s", after)
			}
			if keys := r.ring.Keys(); len(keys) != 1 || !bytes.Equal(keys[0].PublicKey, k1.ServerKey().PublicKey) {
				t.Fatalf("trusted keys changed: %+v", keys)
			}
		})
	}
}

func TestLearnWithTheServerDown(t *testing.T) {
	k1 := paytest.NewIssuer()
	srv := newKeyServer(t, k1.ServerKey(), k1.Rotate("k2").ServerKey())
	srv.setDown(true)
	r := newRig(t, srv, k1)
	err := r.ring.Learn(context.Background(), "k2")
	var prob *protocol.Problem
	if !errors.Is(err, ErrUntrustedKey) || !errors.As(err, &prob) {
		t.Fatalf("err = %v, want ErrUntrustedKey wrapping the server's problem", err)
	}
}

func TestRefreshIfDueAsksAtMostOncePerInterval(t *testing.T) {
	k1 := paytest.NewIssuer()
	k2 := k1.Rotate("k2")
	srv := newKeyServer(t, k1.ServerKey())
	r := newRig(t, srv, k1)
	ctx := context.Background()

	srv.setDown(true)
	if _, err := r.ring.RefreshIfDue(ctx, "start-up"); err == nil {
		t.Fatal("a failed fetch reported no error")
	}
	srv.setDown(false)
	if added, err := r.ring.RefreshIfDue(ctx, "back online"); err != nil || len(added) != 0 || srv.calls.Load() != 2 {
		t.Fatalf("after a failed fetch: added %v, err %v, %d calls; a failure must not count", added, err, srv.calls.Load())
	}
	srv.set(k1.ServerKey(), k2.ServerKey())
	r.clock.Advance(MinRefreshInterval - time.Second)
	if added, err := r.ring.RefreshIfDue(ctx, "back online"); err != nil || added != nil || srv.calls.Load() != 2 {
		t.Fatalf("inside the interval: added %v, err %v, %d calls", added, err, srv.calls.Load())
	}
	r.clock.Advance(time.Second)
	added, err := r.ring.RefreshIfDue(ctx, "back online")
	if err != nil || len(added) != 1 || added[0] != "k2" || srv.calls.Load() != 3 {
		t.Fatalf("after the interval: added %v, err %v, %d calls", added, err, srv.calls.Load())
	}
	if _, ok := r.ring.Lookup("k2"); !ok {
		t.Fatal("k2 not trusted after the refresh")
	}
	if got := r.savedKeyIDs(t); len(got) != 2 {
		t.Fatalf("identity file lists %v", got)
	}
}

func TestSaveFailureStillTrustsTheEndorsedKey(t *testing.T) {
	k1 := paytest.NewIssuer()
	k2 := k1.Rotate("k2")
	srv := newKeyServer(t, k1.ServerKey(), k2.ServerKey())
	api := client.New(client.Options{BaseURL: srv.url, TerminalID: "T-1", Timeout: 2 * time.Second})
	diskFull := errors.New("no space left on device")
	ring := New(Options{Trusted: k1.ServerKeys(), Server: api, Save: func([]protocol.ServerKey) error { return diskFull }})
	if _, err := ring.Refresh(context.Background(), "test"); !errors.Is(err, diskFull) {
		t.Fatalf("Refresh: err = %v, want the save error", err)
	}
	if err := ring.Learn(context.Background(), "k2"); err != nil {
		t.Fatalf("Learn after a failed save: %v", err)
	}
}

// TestConcurrentUse runs sales' checks, offline lookups and refreshes at once (go test -race).
func TestConcurrentUse(t *testing.T) {
	k1 := paytest.NewIssuer()
	k2 := k1.Rotate("k2")
	srv := newKeyServer(t, k1.ServerKey(), k2.ServerKey())
	r := newRig(t, srv, k1)
	sa := approvalBy(t, k2)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 4; i++ {
		wg.Add(3)
		go func() {
			defer wg.Done()
			if err := r.ring.Learn(context.Background(), "k2"); err != nil {
				errs <- err
				return
			}
			if _, err := r.ring.VerifyApproval(sa); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			r.ring.Lookup("k2")
			r.ring.Keys()
		}()
		go func() {
			defer wg.Done()
			r.ring.Refresh(context.Background(), "test")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := r.savedKeyIDs(t); len(got) != 2 {
		t.Fatalf("identity file lists %v", got)
	}
}
