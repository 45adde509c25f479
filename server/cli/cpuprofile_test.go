package cli

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

//go:noinline
func burnBeforeRestart(d time.Duration) (n int) {
	for end := time.Now().Add(d); time.Now().Before(end); n++ {
	}
	return n
}

//go:noinline
func burnAfterRestart(d time.Duration) (n int) {
	for end := time.Now().Add(d); time.Now().Before(end); n++ {
	}
	return n
}

// TestCPUProfileRestart: a restart drops what the profile held, so the file names the function
// that ran after it and not the one before (a pprof profile is a gzipped protobuf whose string
// table holds the function names).
func TestCPUProfileRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	prof, err := startCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	burnBeforeRestart(300 * time.Millisecond)
	if err := prof.restart(); err != nil {
		t.Fatal(err)
	}
	burnAfterRestart(300 * time.Millisecond)
	prof.stop()
	prof.stop() // twice is harmless
	if err := prof.restart(); err != nil {
		t.Fatalf("restart after stop: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a gzipped profile: %v", err)
	}
	pb, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pb, []byte("burnAfterRestart")) || bytes.Contains(pb, []byte("burnBeforeRestart")) {
		t.Fatalf("profile names after: %v, before: %v; want only after", bytes.Contains(pb, []byte("burnAfterRestart")), bytes.Contains(pb, []byte("burnBeforeRestart")))
	}
}
