package api

import (
	"crypto/sha256"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/admin"
)

// adminToken is the operator token the admin routes compare against: a fixed one
// (Config.AdminToken), or the one in Config.AdminTokenFile, read again whenever the file changes so
// that an operator rotates the token by replacing the file, without a restart. A file that becomes
// unreadable, empty or weak (admin.LoadToken) closes the admin API until it is fixed: failing open
// would keep a token the operator meant to retire.
type adminToken struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	stat    os.FileInfo // of the file as last read; nil before the first read
	modTime time.Time
	size    int64
	hash    [32]byte
	ok      bool
}

func newAdminToken(cfg Config, log *slog.Logger) *adminToken {
	a := &adminToken{path: cfg.AdminTokenFile, log: log}
	if a.path == "" && cfg.AdminToken != "" {
		if err := admin.CheckToken(cfg.AdminToken); err != nil {
			log.Error("admin API off: the admin token is refused", "err", err)
			return a
		}
		a.hash, a.ok = sha256.Sum256([]byte(cfg.AdminToken)), true
	}
	return a
}

// current returns the token's hash, or ok false when no usable token is configured.
func (a *adminToken) current() (hash [32]byte, ok bool) {
	if a.path == "" {
		return a.hash, a.ok
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fi, err := os.Stat(a.path)
	if err != nil {
		if a.ok || a.stat == nil {
			a.log.Error("admin API off: the admin token file cannot be read", "file", a.path, "err", err)
		}
		a.ok, a.stat = false, nil
		return a.hash, false
	}
	if a.stat != nil && os.SameFile(a.stat, fi) && fi.ModTime().Equal(a.modTime) && fi.Size() == a.size {
		return a.hash, a.ok
	}
	a.stat, a.modTime, a.size = fi, fi.ModTime(), fi.Size()
	tok, err := admin.LoadToken(a.path)
	if err != nil {
		a.ok = false
		a.log.Error("admin API off: the admin token file is refused", "file", a.path, "err", err)
		return a.hash, false
	}
	a.hash, a.ok = sha256.Sum256([]byte(tok)), true
	a.log.Info("admin token loaded", "file", a.path)
	return a.hash, true
}
