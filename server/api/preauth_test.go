package api

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// countingBody counts the bytes a handler reads from a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestSignatureHeadersAreCheckedBeforeTheBodyIsRead sends 4 MiB batch bodies that cannot be from the
// terminal: the server answers each from the headers alone and reads none of the body, so an
// unauthenticated client cannot make it read and hold megabytes. A fresh, well-formed request of a
// known terminal is read (its signature covers the body), within the route's limit.
func TestSignatureHeadersAreCheckedBeforeTheBodyIsRead(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	var read atomic.Int64
	h := New(Config{Service: s.svc, AdminToken: testAdminToken})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = countingBody{r.Body, &read}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	big := bytes.Repeat([]byte("A"), protocol.MaxBatchBodyBytes)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	now := s.clock.Now()
	signed := func(id string, key ed25519.PrivateKey, at time.Time, body []byte) *http.Request {
		req, err := http.NewRequest(http.MethodPost, srv.URL+protocol.PathBatches, bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		if err := protocol.SignRequest(req, id, key, at, body); err != nil {
			t.Fatal(err)
		}
		return req
	}
	unsigned, _ := http.NewRequest(http.MethodPost, srv.URL+protocol.PathBatches, bytes.NewReader(big))
	malformed := signed("T1", sh.term.Key, now, big)
	malformed.Header.Set(protocol.HeaderNonce, "not hex")
	oversized := signed("T1", sh.term.Key, now, append(big, 'x'))
	oversized.Body = io.NopCloser(bytes.NewReader(append(big, 'x')))
	oversized.ContentLength = int64(len(big) + 1)
	cases := []struct {
		name     string
		req      *http.Request
		status   int
		code     protocol.Code
		readsAll bool
	}{
		{"unsigned", unsigned, 401, protocol.CodeSignatureMissing, false},
		{"malformed headers", malformed, 401, protocol.CodeSignatureInvalid, false},
		{"unknown terminal", signed("T9", otherKey, now, big), 401, protocol.CodeTerminalUnknown, false},
		{"stale", signed("T1", sh.term.Key, now.Add(-protocol.MaxRequestSkew-time.Minute), big), 401, protocol.CodeRequestStale, false},
		{"declared length over the limit", oversized, 413, protocol.CodeBodyTooLarge, false},
		// Only a fresh request naming an active terminal is read: its signature covers the body.
		{"forged signature of a known terminal", signed("T1", otherKey, now, big), 401, protocol.CodeSignatureInvalid, true},
	}
	for _, tc := range cases {
		read.Store(0)
		resp, err := srv.Client().Do(tc.req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var p protocol.Problem
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status || p.Code != tc.code {
			t.Errorf("%s: %d %+v %v, want %d %s", tc.name, resp.StatusCode, p, err, tc.status, tc.code)
		}
		n := read.Load()
		t.Logf("%s: %d %s after the handler read %d body bytes", tc.name, resp.StatusCode, p.Code, n)
		if tc.readsAll && n != int64(len(big)) {
			t.Errorf("%s: read %d bytes, want the whole body", tc.name, n)
		}
		if !tc.readsAll && n != 0 {
			t.Errorf("%s: the handler read %d body bytes before refusing the request", tc.name, n)
		}
	}
}
