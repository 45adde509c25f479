package localapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/stillpay/stillpay/shared/protocol"
)

// The local API is reachable by every program on the POS box, web browsers included. A web page
// cannot read the API's answers (no CORS headers are ever sent), but without these checks it could
// still start sales, export or prune the queue with "simple" cross-site requests (a form POST, a
// fetch with Content-Type text/plain) or, through DNS rebinding, with a host name that resolves to
// 127.0.0.1. The guard refuses:
//   - a Host that is not the configured listen host, a localhost name, 127.0.0.1 or [::1] (DNS
//     rebinding: the browser sends the attacker's name);
//   - an Origin (or Sec-Fetch-Site) that shows a cross-site browser request;
//   - a POST whose Content-Type is not application/json, with or without a body: that content type
//     is one a browser cannot send cross-site without a CORS preflight, which this API never grants;
//   - when a token is configured, a request without "Authorization: Bearer TOKEN".

// ErrTokenFile: the local API token file is unusable (missing, empty or readable by others).
var ErrTokenFile = errors.New("local API token file")

// maxTokenFile bounds the token file read.
const maxTokenFile = 4 << 10

// minTokenLen refuses a token short enough to guess.
const minTokenLen = 16

// LoadToken reads the bearer token of the local API from path, which must be private (0600 or
// stricter): anyone who reads it can take payments.
func LoadToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTokenFile, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s has mode %04o; it must be 0600 (chmod 600 %s)", ErrTokenFile, path, fi.Mode().Perm(), path)
	}
	if fi.Size() > maxTokenFile {
		return "", fmt.Errorf("%w: %s is over %d bytes", ErrTokenFile, path, maxTokenFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTokenFile, err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minTokenLen || strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("%w: %s must hold one token of at least %d characters (e.g. from: openssl rand -hex 32)", ErrTokenFile, path, minTokenLen)
	}
	return tok, nil
}

// guard holds what the checks need: the host names a request may name and the optional token.
type guard struct {
	hosts map[string]bool // lower-case host names without port; nil = any (a unix socket)
	token string
}

// newGuard allows the host of listen ("host:port"; a unix socket is unreachable by browsers, so any
// Host passes there) and the loopback names.
func newGuard(listen, token string) guard {
	g := guard{token: token}
	if strings.HasPrefix(listen, "unix:") {
		return g
	}
	g.hosts = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		g.hosts[strings.ToLower(h)] = true
	}
	return g
}

func (g guard) hostAllowed(hostport string) bool {
	if g.hosts == nil {
		return true
	}
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	h = strings.TrimSuffix(h, ".") // "localhost." is localhost
	return g.hosts[h] || strings.HasSuffix(h, ".localhost")
}

// check returns "" or why r is refused, with the status and code to answer.
func (g guard) check(r *http.Request) (int, protocol.Code, string) {
	if !g.hostAllowed(r.Host) {
		return http.StatusForbidden, protocol.CodeForbidden, fmt.Sprintf("host %q is not this terminal's local API (allowed: the listen host, localhost, 127.0.0.1, [::1])", r.Host)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || u.Host == "" || !g.hostAllowed(u.Host) {
			return http.StatusForbidden, protocol.CodeForbidden, "cross-origin requests are refused: origin " + fmt.Sprintf("%q", o)
		}
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s == "cross-site" || s == "same-site" {
		return http.StatusForbidden, protocol.CodeForbidden, "cross-site browser requests are refused"
	}
	if g.token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(g.token)) != 1 {
			return http.StatusUnauthorized, protocol.CodeUnauthenticated, `this local API needs "Authorization: Bearer TOKEN" (local_api.token_file)`
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMediaType, "requests other than GET must have Content-Type: application/json (an empty body is fine where none is needed)"
		}
	}
	return 0, "", ""
}

// wrap applies the checks before h.
func (g guard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, code, detail := g.check(r); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="posagent"`)
			}
			writeProblem(w, status, code, detail)
			return
		}
		h.ServeHTTP(w, r)
	})
}
