package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles are the schema versions, named NNNN_what.sql; each runs once, in order, in one
// transaction with the version bump.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchema reports a database whose schema this binary cannot use as it is.
var ErrSchema = errors.New("pgstore: database schema")

// maxBootstrapAttempts bounds the retries of creating the schema table when several instances start
// at once and race to create it.
const maxBootstrapAttempts = 10

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: migration file %s is not named NNNN_name.sql", ErrSchema, base)
		}
		body, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("%w: migrations must be numbered 1, 2, 3, ...; found %s", ErrSchema, m.name)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary brings the database to.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// Migrate connects to dsn and applies the pending migrations (what `settlementd admin migrate` runs).
// It returns the versions it applied; none when the schema was already current.
func Migrate(ctx context.Context, dsn string, log *slog.Logger) ([]int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := poolConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	defer pool.Close()
	return migrate(ctx, pool, log)
}

// migrate applies pending migrations under the lock row of stillpay_schema: the first instance to lock
// it migrates, the others wait for its commit, then find nothing left to do. The lock is a row, not an
// advisory lock: it is taken and released with the migration's transaction.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) ([]int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if err := bootstrap(ctx, pool); err != nil {
		return nil, err
	}
	var applied []int
	for attempt := 1; ; attempt++ {
		applied = nil
		err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			var current int
			if err := tx.QueryRow(ctx, `SELECT version FROM stillpay_schema WHERE id = 1 FOR UPDATE`).Scan(&current); err != nil {
				return fmt.Errorf("pgstore: lock the schema row: %w", err)
			}
			if current > len(ms) {
				return fmt.Errorf("%w: version %d is newer than this binary's %d; upgrade settlementd", ErrSchema, current, len(ms))
			}
			for _, m := range ms[current:] {
				start := time.Now()
				if _, err := tx.Exec(ctx, m.sql); err != nil {
					return fmt.Errorf("%w: migration %s: %w", ErrSchema, m.name, err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO stillpay_migrations (version, name, applied_at) VALUES ($1, $2, now())`, m.version, m.name); err != nil {
					return err
				}
				log.Info("pgstore: applied migration", "version", m.version, "name", m.name, "took", time.Since(start).Round(time.Millisecond))
				applied = append(applied, m.version)
			}
			if len(applied) == 0 {
				return nil
			}
			_, err := tx.Exec(ctx, `UPDATE stillpay_schema SET version = $1, updated_at = now() WHERE id = 1`, len(ms))
			return err
		})
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			break
		}
		if werr := sleepCtx(ctx, backoff(attempt)); werr != nil {
			return nil, werr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: migrate: %w", err)
	}
	return applied, nil
}

// bootstrap creates the schema bookkeeping tables if they are missing, one instance at a time (an
// advisory lock held by its transaction); a duplicate-object error is still retried.
func bootstrap(ctx context.Context, pool *pgxpool.Pool) error {
	const ddl = `
CREATE TABLE IF NOT EXISTS stillpay_schema (
    id         int         PRIMARY KEY,
    version    int         NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS stillpay_migrations (
    version    int         PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL
);
INSERT INTO stillpay_schema (id, version, updated_at) VALUES (1, 0, now()) ON CONFLICT (id) DO NOTHING;`
	var err error
	for attempt := 1; attempt <= maxBootstrapAttempts; attempt++ {
		// A transaction-scoped advisory lock serialises the instances that start together, so only
		// one creates the tables (concurrent CREATE TABLE IF NOT EXISTS can still collide in the
		// catalog: "type ... already exists"); the retry below stays for what the lock cannot cover.
		err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('stillpay_schema_bootstrap'))`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, ddl)
			return err
		})
		switch sqlState(err) {
		case "":
			if err == nil {
				return nil
			}
			return fmt.Errorf("pgstore: create the schema table: %w", err)
		case sqlDuplicateTable, sqlUniqueViolation, sqlSerializationFailure, sqlDeadlockDetected:
			if werr := sleepCtx(ctx, backoff(attempt)); werr != nil {
				return werr
			}
		default:
			return fmt.Errorf("pgstore: create the schema table: %w", err)
		}
	}
	return fmt.Errorf("pgstore: create the schema table: %w", err)
}

// SchemaVersion returns the database's schema version (0 for an empty database).
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var v int
	err := pool.QueryRow(ctx, `SELECT version FROM stillpay_schema WHERE id = 1`).Scan(&v)
	switch {
	case sqlState(err) == sqlUndefinedTable, errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("pgstore: read the schema version: %w", err)
	}
	return v, nil
}

func requireCurrent(ctx context.Context, pool *pgxpool.Pool) error {
	v, err := SchemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	if want := LatestVersion(); v != want {
		return fmt.Errorf("%w: version %d, this binary needs %d: run `settlementd admin migrate`", ErrSchema, v, want)
	}
	return nil
}
