package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/front"
)

// defaultMaxConns is the pool size when the DSN does not set pool_max_conns: the connections for reads
// and the rarer single-record writes. The group-commit writer has one more connection of its own, so
// that it never queues behind readers for one. Size the database's max_connections as instances ×
// (pool size + 1) plus room for operators (docs/scaling.md).
const defaultMaxConns = 16

// Options tune Open. The zero value is right for production.
type Options struct {
	// Logger receives retries and write failures; nil discards.
	Logger *slog.Logger
	// NoMigrate makes Open refuse a database whose schema is not current instead of migrating it
	// (for operators who run `settlementd admin migrate` as a separate step).
	NoMigrate bool
	// Tracer, when set, sees every query (tests count round trips with it).
	Tracer pgx.QueryTracer
}

// Store is the PostgreSQL store: the store front (server/store/front: the policy every store shares)
// over the PostgreSQL engine. Create it with Open.
type Store struct {
	*front.Front
	e *engine
}

var _ store.ServerKeyStore = (*Store)(nil)

// PutServerKey announces k (store.ServerKeyStore).
func (s *Store) PutServerKey(ctx context.Context, k store.ServerKey) error {
	return s.e.PutServerKey(ctx, k)
}

// ServerKeys lists the announced keys (store.ServerKeyStore).
func (s *Store) ServerKeys(ctx context.Context) ([]store.ServerKey, error) {
	return s.e.ServerKeys(ctx)
}

// engine is the PostgreSQL driver below the front.
type engine struct {
	pool  *pgxpool.Pool
	wpool *pgxpool.Pool // the writer's own connection
	log   *slog.Logger
	w     *writer
	r     *readers
}

var _ front.Driver = (*engine)(nil)

// IsDSN reports whether spec names a PostgreSQL database rather than a directory.
func IsDSN(spec string) bool {
	return strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://")
}

// Open connects to the database named by dsn (postgres://user@host:port/db?sslmode=...; pool_max_conns
// and search_path may be set there too), brings the schema up to date unless opt.NoMigrate, and starts
// the group-commit writer.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := poolConfig(dsn)
	if err != nil {
		return nil, err
	}
	if opt.Tracer != nil {
		cfg.ConnConfig.Tracer = opt.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connect to %s: %w", Redact(dsn), err)
	}
	wcfg := cfg.Copy()
	wcfg.MaxConns, wcfg.MinConns = 1, 1
	wpool, err := pgxpool.NewWithConfig(ctx, wcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if opt.NoMigrate {
		err = requireCurrent(ctx, pool)
	} else {
		_, err = migrate(ctx, pool, log)
	}
	if err != nil {
		pool.Close()
		wpool.Close()
		return nil, err
	}
	e := &engine{pool: pool, wpool: wpool, log: log}
	e.w = newWriter(e)
	e.r = newReaders(e)
	return &Store{Front: front.New(e), e: e}, nil
}

func poolConfig(dsn string) (*pgxpool.Config, error) {
	if !IsDSN(dsn) {
		return nil, fmt.Errorf("%w: pgstore wants a postgres:// or postgresql:// URL", store.ErrInvalidArgument)
	}
	explicitMax := strings.Contains(dsn, "pool_max_conns=")
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors quote the connection string, password included: say less.
		return nil, fmt.Errorf("%w: cannot parse the database URL %s", store.ErrInvalidArgument, Redact(dsn))
	}
	if !explicitMax {
		cfg.MaxConns = defaultMaxConns
	}
	cfg.AfterConnect = tuneSession
	return cfg, nil
}

// tuneSession sets what the store's queries rely on for every new connection. PostgreSQL keeps a
// generic plan for a prepared statement after five runs; one made while a table was nearly empty
// (a fresh database) scans the table, and keeps scanning it as it grows to millions of rows until the
// next ANALYZE. Custom plans are made for each run from the table's current size and the actual
// arrays, and always look keys up through the indexes. A server without the setting keeps its default.
func tuneSession(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_custom_plan`); err != nil {
		if _, ok := errors.AsType[*pgconn.PgError](err); !ok {
			return err
		}
	}
	return nil
}

// Redact returns dsn with any password replaced, for logs and error messages.
func Redact(dsn string) string {
	// Trust Go's parse only when it found the user info wherever an '@' is (a raw '/' in a password
	// makes it see a host "user:" and a path holding the password).
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" && (u.User != nil || !strings.Contains(dsn, "@")) {
		return u.Redacted()
	}
	// Not a URL Go can parse (say, a raw '/' in the password): mask everything between the user name
	// and the last '@'.
	scheme, rest, ok := strings.Cut(dsn, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		if strings.Contains(dsn, "@") {
			return "(unparsable database URL)"
		}
		return dsn
	}
	user, _, hasPw := strings.Cut(rest[:at], ":")
	if !hasPw {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// Close finishes queued writes and closes the pool.
func (s *engine) Close() error {
	s.w.close()
	s.r.close()
	s.wpool.Close()
	s.pool.Close()
	return nil
}

// GroupStats reports how well group commit is batching.
type GroupStats struct {
	Commits  uint64 // transactions committed by the writer
	Calls    uint64 // ApplyPayments/ApplySigned calls in them
	Ops      uint64 // ops in them
	Retries  uint64 // attempts repeated after a serialization failure
	Rollback uint64 // groups split up after a failure that was not a serialization failure
}

// Stats returns counters since Open.
func (s *Store) Stats() GroupStats { return s.e.w.stats() }
