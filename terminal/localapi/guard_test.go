package localapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

const testToken = "0123456789abcdef0123"

// guardCases is the table of TestGuard and the seed corpus of FuzzGuard.
var guardCases = []struct {
	name                     string
	listen, token            string
	method, path, host       string
	origin, fetchSite, ctype string
	auth, body               string
	wantStatus               int
	wantCode                 protocol.Code
}{
	{"register JSON sale", "127.0.0.1:7070", "", "POST", PathSales, "127.0.0.1:7070", "", "", "application/json", "", `{"amount":"1.00"}`, 201, ""},
	{"charset parameter", "127.0.0.1:7070", "", "POST", PathSales, "localhost:7070", "", "", "application/json; charset=utf-8", "", `{"amount":"1.00"}`, 201, ""},
	{"cross-site text/plain", "127.0.0.1:7070", "", "POST", PathSales, "127.0.0.1:7070", "http://evil.example", "cross-site", "text/plain", "", `{"amount":"1.00"}`, 403, protocol.CodeForbidden},
	{"text/plain same host", "127.0.0.1:7070", "", "POST", PathSales, "127.0.0.1:7070", "", "", "text/plain", "", `{"amount":"1.00"}`, 415, protocol.CodeUnsupportedMediaType},
	{"form post", "127.0.0.1:7070", "", "POST", PathSales, "127.0.0.1:7070", "", "", "application/x-www-form-urlencoded", "", `amount=1.00`, 415, protocol.CodeUnsupportedMediaType},
	{"no content type", "127.0.0.1:7070", "", "POST", PathPrune, "127.0.0.1:7070", "", "", "", "", "", 415, protocol.CodeUnsupportedMediaType},
	{"empty JSON post", "127.0.0.1:7070", "", "POST", PathPrune + "?dry_run=true", "127.0.0.1:7070", "", "", "application/json", "", "", 200, ""},
	{"DNS rebinding", "127.0.0.1:7070", "", "POST", PathSales, "evil.example:7070", "", "", "application/json", "", `{"amount":"1.00"}`, 403, protocol.CodeForbidden},
	{"DNS rebinding GET", "127.0.0.1:7070", "", "GET", PathStatus, "evil.example:7070", "", "", "", "", "", 403, protocol.CodeForbidden},
	{"foreign origin JSON", "127.0.0.1:7070", "", "POST", PathSales, "127.0.0.1:7070", "https://evil.example", "", "application/json", "", `{"amount":"1.00"}`, 403, protocol.CodeForbidden},
	{"null origin", "127.0.0.1:7070", "", "POST", PathExport, "127.0.0.1:7070", "null", "", "application/json", "", "", 403, protocol.CodeForbidden},
	{"same-origin", "127.0.0.1:7070", "", "GET", PathStatus, "127.0.0.1:7070", "http://127.0.0.1:7070", "same-origin", "", "", "", 200, ""},
	{"ipv6 loopback", "[::1]:7070", "", "GET", PathStatus, "[::1]:7070", "", "", "", "", "", 200, ""},
	{"listen host", "192.0.2.5:7070", testToken, "GET", PathStatus, "192.0.2.5:7070", "", "", "", "Bearer " + testToken, "", 200, ""},
	{"token missing", "192.0.2.5:7070", testToken, "GET", PathStatus, "192.0.2.5:7070", "", "", "", "", "", 401, protocol.CodeUnauthenticated},
	{"token wrong", "192.0.2.5:7070", testToken, "POST", PathSales, "192.0.2.5:7070", "", "", "application/json", "Bearer nope", `{"amount":"1.00"}`, 401, protocol.CodeUnauthenticated},
	{"token sale", "192.0.2.5:7070", testToken, "POST", PathSales, "192.0.2.5:7070", "", "", "application/json", "Bearer " + testToken, `{"amount":"1.00"}`, 201, ""},
	{"unix socket any host", "unix:/run/posagent.sock", "", "GET", PathStatus, "posagent", "", "", "", "", "", 200, ""},
	{"unknown route", "127.0.0.1:7070", "", "GET", "/v1/nope", "127.0.0.1:7070", "", "", "", "", "", 404, protocol.CodeNotFound},
	{"wrong method", "127.0.0.1:7070", "", "DELETE", PathSales, "127.0.0.1:7070", "", "", "application/json", "", "", 405, protocol.CodeMethodNotAllowed},
	{"wrong method on id", "127.0.0.1:7070", "", "GET", PathSales + "/x/cancel", "127.0.0.1:7070", "", "", "", "", "", 405, protocol.CodeMethodNotAllowed},
}

func guardRequest(t *testing.T, listen, token, method, path, host, origin, fetchSite, ctype, auth, body string) (*Server, *http.Request) {
	s, ag := newServerWith(listen, token)
	t.Cleanup(ag.Close)
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = host
	for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": fetchSite, "Content-Type": ctype, "Authorization": auth} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	return s, r
}

func TestGuard(t *testing.T) {
	for _, tc := range guardCases {
		t.Run(tc.name, func(t *testing.T) {
			s, r := guardRequest(t, tc.listen, tc.token, tc.method, tc.path, tc.host, tc.origin, tc.fetchSite, tc.ctype, tc.auth, tc.body)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantCode == "" {
				return
			}
			var p protocol.Problem
			if w.Header().Get("Content-Type") != protocol.ContentTypeProblem || json.Unmarshal(w.Body.Bytes(), &p) != nil {
				t.Fatalf("not a problem document: %q %s", w.Header().Get("Content-Type"), w.Body)
			}
			if p.Code != tc.wantCode {
				t.Fatalf("code %q, want %q (%s)", p.Code, tc.wantCode, p.Detail)
			}
		})
	}
}

// The refused requests start nothing: the agent has no sale afterwards.
func TestGuardRefusedStartsNoSale(t *testing.T) {
	s, ag := newServerWith("127.0.0.1:7070", "")
	defer ag.Close()
	r := httptest.NewRequest("POST", PathSales, strings.NewReader(`{"amount":"1.00"}`))
	r.Host = "127.0.0.1:7070"
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("Origin", "http://evil.example")
	s.ServeHTTP(httptest.NewRecorder(), r)
	if cur := ag.Current(); cur != "" {
		t.Fatalf("a refused request started sale %s", cur)
	}
}

// The client sends JSON and its token, so it passes the guard.
func TestClientPassesGuard(t *testing.T) {
	s, ag := newServerWith("127.0.0.1:0", testToken)
	defer ag.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	c := NewClient(addr)
	if _, err := c.Status(t.Context()); !isCode(err, protocol.CodeUnauthenticated) {
		t.Fatalf("without the token: %v, want unauthenticated", err)
	}
	c = c.WithToken(testToken)
	if _, err := c.Prune(t.Context(), true); err != nil {
		t.Fatalf("prune (POST without a body): %v", err)
	}
	v, err := c.StartSale(t.Context(), StartSaleRequest{Amount: "2.00"})
	if err != nil || v.State != agent.SaleWaiting {
		t.Fatalf("start sale: %+v %v", v, err)
	}
}

func isCode(err error, code protocol.Code) bool {
	var p *protocol.Problem
	return errors.As(err, &p) && p.Code == code
}

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		mode       os.FileMode
		ok         bool
	}{
		{"private", testToken + "\n", 0o600, true},
		{"readable by others", testToken, 0o644, false},
		{"too short", "short", 0o600, false},
		{"two words", "0123456789abcdef 0123456789", 0o600, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(p, []byte(tc.text), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, tc.mode)
			tok, err := LoadToken(p)
			if tc.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrTokenFile) {
				t.Fatalf("err %v is not ErrTokenFile", err)
			}
			if tc.ok && tok != testToken {
				t.Fatalf("token %q", tok)
			}
		})
	}
	if _, err := LoadToken(filepath.Join(dir, "missing")); !errors.Is(err, ErrTokenFile) {
		t.Fatalf("missing file: %v", err)
	}
}

// FuzzGuard: any headers give an answer with a known status, never a panic; a refused request
// is a problem document.
func FuzzGuard(f *testing.F) {
	for _, tc := range guardCases {
		f.Add(tc.method, tc.host, tc.origin, tc.fetchSite, tc.ctype, tc.auth)
	}
	f.Fuzz(func(t *testing.T, method, host, origin, fetchSite, ctype, auth string) {
		if !validToken(method) {
			return
		}
		s, ag := newServerWith("127.0.0.1:7070", testToken)
		defer ag.Close()
		r := httptest.NewRequest("GET", PathStatus, nil)
		r.Method, r.Host = method, host
		for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": fetchSite, "Content-Type": ctype, "Authorization": auth} {
			r.Header[k] = []string{v}
		}
		g := newGuard("127.0.0.1:7070", testToken)
		status, code, _ := g.check(r)
		if status != 0 && code == "" {
			t.Fatalf("refused with status %d but no code", status)
		}
		if status == 0 && auth != "Bearer "+testToken {
			t.Fatalf("passed without the token: %q", auth)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d", w.Code)
		}
	})
}

// validToken: an HTTP method is a token (httptest would refuse others).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, c) {
			return false
		}
	}
	return true
}
