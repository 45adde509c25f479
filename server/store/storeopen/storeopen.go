// Package storeopen opens the store settlementd runs on, from one spec string: empty or a directory for
// the embedded bbolt store, a postgres:// or postgresql:// URL for PostgreSQL. The spec
// comes from `settlementd serve --store` or, when that is not given, from $STILLPAY_STORE.
package storeopen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/store/pgstore"
)

// EnvSpec is the environment variable that names the store when no flag does.
const EnvSpec = "STILLPAY_STORE"

// ErrSpec reports a store spec that names nothing this binary can open.
var ErrSpec = errors.New("storeopen: unknown store")

// Kind says which implementation a spec selects.
type Kind string

// Store kinds.
const (
	Bolt     Kind = "bolt"
	Postgres Kind = "postgres"
)

// Resolve returns the spec to use: the flag's value if set, else $STILLPAY_STORE, else "" (the embedded
// store in the data directory).
func Resolve(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(EnvSpec)
}

// Parse says which kind of store spec selects; ErrSpec for a URL of another scheme.
func Parse(spec string) (Kind, error) {
	switch {
	case pgstore.IsDSN(spec):
		return Postgres, nil
	case strings.Contains(spec, "://"):
		scheme, _, _ := strings.Cut(spec, "://")
		return "", fmt.Errorf("%w: %q URLs are not supported; use a directory or a postgres:// URL", ErrSpec, scheme)
	}
	return Bolt, nil
}

// Describe is spec as it may be logged: the directory, or the URL without its password.
func Describe(spec, dataDir string) string {
	if pgstore.IsDSN(spec) {
		return pgstore.Redact(spec)
	}
	if spec == "" {
		spec = dataDir
	}
	return "bbolt in " + spec
}

// Open opens the store spec names: "" → the embedded store in dataDir; a directory → the embedded
// store there; postgres://... → PostgreSQL, migrating its schema first (under a lock, so several
// instances may start at once).
func Open(ctx context.Context, spec, dataDir string, log *slog.Logger) (store.Store, error) {
	kind, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	switch kind {
	case Postgres:
		return pgstore.Open(ctx, spec, pgstore.Options{Logger: log})
	default:
		dir := spec
		if dir == "" {
			dir = dataDir
		}
		if dir == "" {
			return nil, fmt.Errorf("%w: no store given and no data directory", ErrSpec)
		}
		return boltstore.Open(dir, boltstore.Options{Logger: log})
	}
}

// Migrate brings spec's schema up to date and returns the versions applied. The embedded store has no
// separate schema: it returns nil.
func Migrate(ctx context.Context, spec string, log *slog.Logger) ([]int, error) {
	kind, err := Parse(spec)
	if err != nil || kind != Postgres {
		return nil, err
	}
	return pgstore.Migrate(ctx, spec, log)
}

// CommitStats reads st's group-commit counters (transactions committed, write requests in them) for
// /metrics and the bench, or nil for a store that keeps none (memstore). The two stores name the
// writes differently (bbolt Requests, PostgreSQL Calls: ApplyPayments/ApplySigned calls); both count
// the requests that shared a commit.
func CommitStats(st store.Store) func() (commits, writes uint64) {
	switch s := st.(type) {
	case *boltstore.Store:
		return func() (uint64, uint64) { g := s.Stats(); return g.Commits, g.Requests }
	case *pgstore.Store:
		return func() (uint64, uint64) { g := s.Stats(); return g.Commits, g.Calls }
	}
	return nil
}
