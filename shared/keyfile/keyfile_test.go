package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCreateLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "terminal.key")
	key, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate = %v, %v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", st.Mode(), err)
	}
	again, created, err := LoadOrCreate(path)
	if err != nil || created || !again.Equal(key) {
		t.Fatalf("second LoadOrCreate = %v, %v (same key: %v)", created, err, again.Equal(key))
	}
	if _, err := Create(path); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over existing: %v", err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	open := filepath.Join(dir, "open.key")
	if _, err := Create(open); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o644)
	if _, err := Load(open); !errors.Is(err, ErrPermissions) {
		t.Errorf("0644: %v", err)
	}
	junk := filepath.Join(dir, "junk.key")
	os.WriteFile(junk, []byte("hello"), 0o600)
	if _, err := Load(junk); !errors.Is(err, ErrMalformed) {
		t.Errorf("junk: %v", err)
	}
	big := filepath.Join(dir, "big.key")
	os.WriteFile(big, make([]byte, maxKeyFile+1), 0o600)
	if _, err := Load(big); !errors.Is(err, ErrMalformed) {
		t.Errorf("big: %v", err)
	}
}
