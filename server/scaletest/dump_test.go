package scaletest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
)

// dumpShape is a small workload whose ledger the dump carries.
var dumpShape = func() loadtest.Shape {
	s := loadtest.Standard().WithCodes(100, 10_000)
	s.Terminals, s.BatchTerminals, s.Users = 8, 2, 4
	s.PaymentsPerTerminal, s.BatchSize, s.ResendOneIn, s.Seed = 10, 10, 1, 5
	return s
}()

// TestDumpRestore is the PostgreSQL backup runbook's logical path (docs/scaling.md): pg_dump of a
// serving settlementd's schema, pg_restore into a fresh database, settlementd started there with the
// same keys: admin check passes, every balance and every answered payment is as before.
func TestDumpRestore(t *testing.T) {
	dsn := pgtest.DSN(t)
	pgDump, pgRestore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
	ctx := context.Background()
	node := startInstances(t, dsn, 1)[0]
	tok, err := node.AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	cluster := loadtest.NewCluster(node)
	fleet, err := loadtest.Setup(ctx, cluster, tok, dumpShape)
	if err != nil {
		t.Fatal(err)
	}
	book := loadtest.NewBook()
	if err := fleet.Run(ctx, book, func() {}); err != nil {
		t.Fatal(err)
	}

	// Dump the schema while the instance serves; restore it into a new database.
	schema := searchPath(t, dsn)
	dump := filepath.Join(t.TempDir(), "stillpay.dump")
	run(t, pgDump, "--format=custom", "--schema="+schema, "--file="+dump, "--dbname="+withoutSearchPath(t, pgtest.BaseDSN()))
	fresh := freshDatabase(t)
	run(t, pgRestore, "--no-owner", "--exit-on-error", "--dbname="+withoutSearchPath(t, fresh), dump)

	data := filepath.Join(t.TempDir(), "restored")
	if err := loadtest.CopyKeys(node.Data, data); err != nil {
		t.Fatal(err)
	}
	restored := loadtest.StartT(t, loadtest.Config{Binary: bins.Path("settlementd"), Name: "restored", Data: data,
		Store: pgtest.WithSearchPath(fresh, schema)})
	rep, err := restored.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := loadtest.CheckBalancesOn(ctx, book, restored); err != nil {
		t.Fatal(err)
	}
	ac, err := restored.AdminClient(&http.Client{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.CheckLedger(ctx, ac, book); err != nil {
		t.Fatal(err)
	}
	// The restored database serves: every payment sent to it again gets its stored answer.
	cluster.Replace(node, restored)
	if _, err := fleet.Resend(ctx, book); err != nil {
		t.Fatal(err)
	}
	approved, _ := book.Approved()
	t.Logf("pg_dump → pg_restore: check OK (%d entries, %d transactions), %d approvals all there", rep.Entries, rep.Transactions, approved)
}

// pgTool finds a PostgreSQL client program; without it the test skips, or fails when PostgreSQL is
// required.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(found) > 0 {
		return found[len(found)-1]
	}
	if os.Getenv(pgtest.EnvRequire) == "1" {
		t.Fatalf("%s is required (%s=1) but not installed", name, pgtest.EnvRequire)
	}
	t.Skipf("%s is not installed", name)
	return ""
}

func run(t *testing.T, prog string, args ...string) {
	t.Helper()
	if out, err := exec.Command(prog, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(prog), err, out)
	}
}

// searchPath is the schema dsn selects.
func searchPath(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}

func withoutSearchPath(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String()
}

// freshDatabase creates an empty database on the test server, dropped when t ends, and returns its
// connection string.
func freshDatabase(t *testing.T) string {
	t.Helper()
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := "stillpay_restore_" + hex.EncodeToString(suffix[:])
	exec := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgtest.BaseDSN())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(pgtest.BaseDSN())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return fmt.Sprint(u)
}
