// Package webwallet serves the customer's web wallet, an installable progressive web app, at
// /wallet/ (docs/wallet.md). Its files are embedded in settlementd (assets/); they are static and
// carry no data: the phone's keys and state live in the browser's IndexedDB. Every answer carries a
// strict Content-Security-Policy (no inline script or style, same-origin only), so the app makes no
// third-party request and no other origin can frame it.
package webwallet

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// Prefix is where settlementd serves the app.
const Prefix = "/wallet/"

// CSP is the Content-Security-Policy of every answer under Prefix: scripts, styles, images, the
// manifest, the worker and API calls from this origin only; no inline code, no plugins, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets
var embedded embed.FS

// buildMarker in sw.js is replaced by Build(), so each build of the assets installs a new worker.
const buildMarker = "__BUILD__"

type file struct {
	body  []byte
	ctype string
	etag  string
}

var (
	loadOnce sync.Once
	files    map[string]file
	build    string
)

// load reads the embedded assets once and computes the build hash over all of them.
func load() {
	files = map[string]file{}
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	sort.Strings(names)
	raw := map[string][]byte{}
	for _, p := range names {
		b, err := embedded.ReadFile(p)
		if err != nil {
			panic("webwallet: embedded asset " + p + ": " + err.Error()) // cannot happen: embed.FS
		}
		raw[p] = b
		h.Write([]byte(p))
		h.Write(b)
	}
	build = hex.EncodeToString(h.Sum(nil))[:16]
	for p, b := range raw {
		name := strings.TrimPrefix(p, "assets/")
		if name == "sw.js" {
			b = bytes.ReplaceAll(b, []byte(buildMarker), []byte(build))
		}
		sum := sha256.Sum256(b)
		files[name] = file{body: b, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".webmanifest":
		return "application/manifest+json"
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Build is the hash of the embedded assets; the service worker's cache is named after it.
func Build() string {
	loadOnce.Do(load)
	return build
}

// Files lists the served file names (relative to Prefix), sorted.
func Files() []string {
	loadOnce.Do(load)
	out := make([]string, 0, len(files))
	for n := range files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Handler serves the app under Prefix: GET and HEAD only, index.html for the directory itself,
// 404 for anything else. Answers are revalidated (ETag) so a new build reaches the browser; offline,
// the service worker answers from its cache.
func Handler() http.Handler {
	loadOnce.Do(load)
	modTime := time.Time{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", CSP)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
		hdr.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hdr.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if name == "" {
			name = "index.html"
		}
		f, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		hdr.Set("Content-Type", f.ctype)
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("ETag", f.etag)
		http.ServeContent(w, r, name, modTime, bytes.NewReader(f.body))
	})
}
