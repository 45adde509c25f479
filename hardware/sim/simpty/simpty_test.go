package simpty

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenRawPassesBytesUnchanged: CR, LF and control bytes cross the pair as they are, with no echo.
func TestOpenRawPassesBytesUnchanged(t *testing.T) {
	master, slave, err := OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	want := []byte("SP1:AB\r\n\x10\x04\x01\x1b@")
	if _, err := master.Write(want); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(slave, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("slave read %q, want %q", got, want)
	}
}

func TestReplaceSymlink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "scanner")
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, target := range []string{a, b} {
		if err := ReplaceSymlink(target, link); err != nil {
			t.Fatal(err)
		}
		if got, err := os.Readlink(link); err != nil || got != target {
			t.Fatalf("link -> %q, %v; want %q", got, err, target)
		}
	}
	file := filepath.Join(dir, "printer")
	if err := os.WriteFile(file, []byte("real"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSymlink(a, file); !errors.Is(err, ErrNotSymlink) {
		t.Fatalf("over a regular file: err = %v, want ErrNotSymlink", err)
	}
	if data, _ := os.ReadFile(file); string(data) != "real" {
		t.Fatal("the regular file was replaced")
	}
}
