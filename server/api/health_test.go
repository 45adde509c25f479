package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/store/memstore"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestHealthAndReadinessFollowTheStore: /healthz stays 200 and says whether the store answers;
// /readyz is 200 while the store answers and 503 with Retry-After when it does not; a request that
// reaches the gone store gets a retryable 503, not a 500.
func TestHealthAndReadinessFollowTheStore(t *testing.T) {
	st := memstore.New()
	svc := newService(t, t.TempDir(), st, nil)
	srv := httptest.NewServer(New(Config{Service: svc}))
	defer srv.Close()

	do := func(method, path, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	storeField := func(body string) string {
		var h healthResponse
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatalf("healthz body %q: %v", body, err)
		}
		return h.Store
	}

	if resp, body := do(http.MethodGet, protocol.PathHealth, ""); resp.StatusCode != 200 || storeField(body) != "ok" {
		t.Fatalf("healthz with the store up: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(http.MethodGet, protocol.PathReady, ""); resp.StatusCode != 200 {
		t.Fatalf("readyz with the store up: %d %s", resp.StatusCode, body)
	}

	st.Close()
	if resp, body := do(http.MethodGet, protocol.PathHealth, ""); resp.StatusCode != 200 || storeField(body) != "unavailable" {
		t.Fatalf("healthz with the store gone: %d %s, want 200 and store unavailable", resp.StatusCode, body)
	}
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, protocol.PathReady, ""},
		{http.MethodPost, protocol.PathSessions, `{"user_id":"alice","password":"correct horse battery"}`},
	} {
		resp, body := do(tc.method, tc.path, tc.body)
		var p protocol.Problem
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			json.Unmarshal([]byte(body), &p) != nil || p.Code != protocol.CodeUnavailable {
			t.Fatalf("%s %s with the store gone: %d Retry-After=%q %s, want 503 unavailable with Retry-After",
				tc.method, tc.path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
}

// TestBackupWithoutEmbeddedStore: a server with no backup function (PostgreSQL) answers the backup
// route with a problem saying where to look, not an empty archive.
func TestBackupWithoutEmbeddedStore(t *testing.T) {
	s := newStack(t)
	var buf strings.Builder
	_, err := s.admin.Backup(context.Background(), &buf)
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Status != http.StatusNotFound || p.Code != protocol.CodeNotFound || buf.Len() != 0 {
		t.Fatalf("backup without a backup function: %v (%d bytes), want a 404 problem", err, buf.Len())
	}
}
