package storeopen_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/store/memstore"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/server/store/storeopen"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want storeopen.Kind
		err  error
	}{
		{"", storeopen.Bolt, nil},
		{"/var/lib/stillpay", storeopen.Bolt, nil},
		{"relative/dir", storeopen.Bolt, nil},
		{"postgres://u@h:5432/db?sslmode=disable", storeopen.Postgres, nil},
		{"postgresql://h/db", storeopen.Postgres, nil},
		{"mysql://root@h/db", "", storeopen.ErrSpec},
		{"s3://bucket/x", "", storeopen.ErrSpec},
	} {
		got, err := storeopen.Parse(tc.spec)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.spec, got, err, tc.want, tc.err)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Setenv(storeopen.EnvSpec, "postgres://env/db")
	if got := storeopen.Resolve("/flag/dir"); got != "/flag/dir" {
		t.Errorf("flag given: %q", got)
	}
	if got := storeopen.Resolve(""); got != "postgres://env/db" {
		t.Errorf("flag empty: %q, want the environment's", got)
	}
	t.Setenv(storeopen.EnvSpec, "")
	if got := storeopen.Resolve(""); got != "" {
		t.Errorf("nothing set: %q, want the data dir default", got)
	}
}

func TestDescribeHidesPassword(t *testing.T) {
	if got := storeopen.Describe("postgres://app:hunter2@db/x", "/data"); got != "postgres://app:xxxxx@db/x" {
		t.Errorf("Describe = %q", got)
	}
	if got := storeopen.Describe("", "/data"); got != "bbolt in /data" {
		t.Errorf("Describe = %q", got)
	}
}

// roundTrip writes a merchant through one open store, closes it, and reads it back through another.
func roundTrip(t *testing.T, spec, dataDir string) store.Store {
	t.Helper()
	s, err := storeopen.Open(t.Context(), spec, dataDir, nil)
	if err != nil {
		t.Fatalf("Open(%q): %v", spec, err)
	}
	if _, err := s.CreateMerchant(t.Context(), store.Merchant{ID: "M1", Currency: "EUR", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = storeopen.Open(t.Context(), spec, dataDir, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.GetMerchant(t.Context(), "M1"); err != nil {
		t.Errorf("after reopening %q: %v", spec, err)
	}
	return s
}

func TestOpenBoltInDataDir(t *testing.T) {
	dir := t.TempDir()
	if _, ok := roundTrip(t, "", dir).(*boltstore.Store); !ok {
		t.Error("empty spec did not open the embedded store")
	}
	if _, err := os.Stat(filepath.Join(dir, boltstore.FileName)); err != nil {
		t.Errorf("store file not in the data dir: %v", err)
	}
}

func TestOpenBoltInOtherDir(t *testing.T) {
	dataDir, storeDir := t.TempDir(), t.TempDir()
	roundTrip(t, storeDir, dataDir)
	if _, err := os.Stat(filepath.Join(storeDir, boltstore.FileName)); err != nil {
		t.Errorf("store file not in the named dir: %v", err)
	}
}

func TestOpenPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	if _, ok := roundTrip(t, dsn, t.TempDir()).(*pgstore.Store); !ok {
		t.Error("postgres:// spec did not open the PostgreSQL store")
	}
	if applied, err := storeopen.Migrate(t.Context(), dsn, nil); err != nil || len(applied) != 0 {
		t.Errorf("Migrate after Open = %v, %v; want nothing left to do", applied, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := storeopen.Open(t.Context(), "", "", nil); !errors.Is(err, storeopen.ErrSpec) {
		t.Errorf("no spec, no data dir: %v", err)
	}
	if _, err := storeopen.Open(t.Context(), "redis://h", t.TempDir(), nil); !errors.Is(err, storeopen.ErrSpec) {
		t.Errorf("redis URL: %v", err)
	}
}

// TestCommitStats: the embedded store's group commits are read (Open itself commits the schema);
// a store without group commit has no reader, so /metrics exports no zeros for it.
func TestCommitStats(t *testing.T) {
	s, err := boltstore.Open(t.TempDir(), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read := storeopen.CommitStats(s)
	if read == nil {
		t.Fatal("no commit stats for the embedded store")
	}
	if c, w := read(); c != s.Stats().Commits || w != s.Stats().Requests || w < c {
		t.Errorf("read %d commits of %d writes; the store says %+v", c, w, s.Stats())
	}
	if storeopen.CommitStats(memstore.New()) != nil {
		t.Error("commit stats for memstore, which has no group commit")
	}
}
