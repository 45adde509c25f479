package webwallet

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func TestServesEveryAssetWithCSP(t *testing.T) {
	h := Handler()
	tests := []struct {
		path, ctype string
	}{
		{"/wallet/", "text/html; charset=utf-8"},
		{"/wallet/app.js", "text/javascript; charset=utf-8"},
		{"/wallet/vendor/qrcode-generator/qrcode.mjs", "text/javascript; charset=utf-8"},
		{"/wallet/manifest.webmanifest", "application/manifest+json"},
		{"/wallet/style.css", "text/css; charset=utf-8"},
		{"/wallet/icon-192.png", "image/png"},
	}
	for _, tc := range tests {
		resp := get(t, h, tc.path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d %q, want 200 %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.ctype)
		}
		if resp.Header.Get("Content-Security-Policy") != CSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", tc.path, resp.Header)
		}
	}
	for _, p := range []string{"/wallet/nope.js", "/wallet/../go.mod", "/wallet/assets/app.js"} {
		if resp := get(t, h, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp := get(t, h, "/wallet"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/wallet/" {
		t.Errorf("/wallet: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// The CSP forbids inline script and style: the page must have none, or it would not run.
func TestNoInlineScriptOrStyle(t *testing.T) {
	body, _ := io.ReadAll(get(t, Handler(), "/wallet/").Body)
	html := string(body)
	for _, re := range []string{`<script(?:\s[^>]*)?>\s*[^<\s]`, `<style`, `\sstyle=`, `\son[a-z]+=`, `javascript:`} {
		if regexp.MustCompile(re).MatchString(html) {
			t.Errorf("index.html matches %s", re)
		}
	}
	if strings.Contains(CSP, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %s", CSP)
	}
}

// No asset names another host: the app makes no third-party request.
func TestNoThirdPartyURLs(t *testing.T) {
	url := regexp.MustCompile(`(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, n := range Files() {
		if !strings.HasSuffix(n, ".js") && !strings.HasSuffix(n, ".html") && !strings.HasSuffix(n, ".css") && !strings.HasSuffix(n, ".webmanifest") {
			continue
		}
		body, _ := io.ReadAll(get(t, Handler(), Prefix+n).Body)
		for _, m := range url.FindAllString(string(body), -1) {
			// Comments in the vendored library name its author's site and licence; never fetched.
			if n == "vendor/qrcode-generator/qrcode.mjs" && regexp.MustCompile(`d-project\.com|opensource\.org|denso-wave\.com`).MatchString(m) {
				continue
			}
			if n == "vendor/jsqr/jsQR.js" && m == "http://en.wikipedia.org" { // a comment in jsQR's decoder
				continue
			}
			t.Errorf("%s names %s", n, m)
		}
	}
}

// The service worker caches exactly the app shell: every served file but itself, the licence and
// the vendor manifest; and its cache name is this build's.
func TestServiceWorkerCachesTheShell(t *testing.T) {
	body, _ := io.ReadAll(get(t, Handler(), "/wallet/sw.js").Body)
	sw := string(body)
	if !strings.Contains(sw, "'"+Build()+"'") || strings.Contains(sw, buildMarker) {
		t.Fatalf("sw.js does not carry build %s", Build())
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^\s+'([^']+)',$`).FindAllStringSubmatch(sw, -1) {
		if m[1] != "./" {
			listed = append(listed, m[1])
		}
	}
	var want []string
	for _, n := range Files() {
		if n != "sw.js" && !strings.HasSuffix(n, "LICENSE") && !strings.HasSuffix(n, "MANIFEST.json") {
			want = append(want, n)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("sw.js caches %v, want %v", listed, want)
	}
}
