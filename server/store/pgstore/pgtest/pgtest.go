// Package pgtest gives tests a PostgreSQL database of their own: a fresh schema on the server named by
// $STILLPAY_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable), reached
// through search_path and dropped when the test ends, so that tests run in parallel without seeing each
// other's rows.
//
// Without a server, tests that ask for one are skipped with a line saying how to enable them, unless
// $STILLPAY_REQUIRE_POSTGRES=1 (CI sets it), where they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables and the default server.
const (
	EnvDSN      = "STILLPAY_TEST_POSTGRES"
	EnvRequire  = "STILLPAY_REQUIRE_POSTGRES"
	DefaultDSN  = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	dialTimeout = 5 * time.Second
)

var (
	probeOnce sync.Once
	probeErr  error
	skipOnce  sync.Once
)

// BaseDSN is the server's connection string, from the environment or the default.
func BaseDSN() string {
	if v := os.Getenv(EnvDSN); v != "" {
		return v
	}
	return DefaultDSN
}

// Available reports whether the server answers; the error says why not.
func Available() error {
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, BaseDSN())
		if err != nil {
			probeErr = err
			return
		}
		defer conn.Close(ctx)
		probeErr = conn.Ping(ctx)
	})
	return probeErr
}

// Require skips (or, with STILLPAY_REQUIRE_POSTGRES=1, fails) t when there is no server.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("PostgreSQL is required (%s=1) but %s does not answer: %v", EnvRequire, redact(BaseDSN()), err)
	}
	msg := "PostgreSQL tests skipped (see the first skip for how to enable them)"
	skipOnce.Do(func() {
		msg = fmt.Sprintf("PostgreSQL tests skipped: no server at %s (%v); set %s=postgres://user@host:5432/db?sslmode=disable to run them",
			redact(BaseDSN()), shortErr(err), EnvDSN)
	})
	t.Skip(msg)
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// DSN creates an empty schema for t and returns a connection string whose search_path selects it.
// The schema is dropped with everything in it when t ends (after cleanups registered later, such as
// closing a store opened on it).
func DSN(t testing.TB) string {
	t.Helper()
	Require(t)
	name := schemaName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseDSN())
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, BaseDSN())
		if err != nil {
			t.Errorf("pgtest: connect to drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return WithSearchPath(BaseDSN(), name)
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// schemaName is a valid, unique, lower-case identifier derived from the test name.
func schemaName(test string) string {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	base := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(test), "_"), "_")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	return "t_" + base + "_" + hex.EncodeToString(suffix[:])
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
