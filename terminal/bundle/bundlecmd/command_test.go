package bundlecmd

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/terminal/bundle"
)

// fakeBinary is a small static Go binary, built once for the package's tests.
var fakeBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fakeBinary.dir != "" {
		os.RemoveAll(fakeBinary.dir)
	}
	os.Exit(code)
}

func staticBinary(t *testing.T) string {
	t.Helper()
	fakeBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "bundlecmd-test-")
		if err != nil {
			fakeBinary.err = err
			return
		}
		fakeBinary.dir = dir
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fake\n\ngo 1.22\n"), 0o644)
		fakeBinary.path = filepath.Join(dir, "posagent")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", fakeBinary.path, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-buildvcs=false")
		if b, err := cmd.CombinedOutput(); err != nil {
			fakeBinary.err = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if fakeBinary.err != nil {
		t.Fatal(fakeBinary.err)
	}
	return fakeBinary.path
}

// fakeRepo lays out the payload files build reads, and returns the static binary to bundle.
func fakeRepo(t *testing.T) (repo, binary string) {
	t.Helper()
	repo = t.TempDir()
	for _, p := range payload {
		path := filepath.Join(repo, p.path)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte("contents of "+p.name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo, staticBinary(t)
}

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := Command()
	var o, e bytes.Buffer
	cmd.SetOut(&o)
	cmd.SetErr(&e)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return o.String(), e.String(), err
}

func TestBuildWithDevKeyThenVerify(t *testing.T) {
	t.Setenv(ReleaseKeyEnv, "")
	repo, binary := fakeRepo(t)
	out := filepath.Join(t.TempDir(), "bundles")
	devKey := filepath.Join(t.TempDir(), "bin", "release-dev.key")

	stdout, stderr, err := run(t, "build", "--binary", binary, "--version", "v9.9.9", "--commit", "abc", "--repo", repo, "--out", out, "--dev-key", devKey)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, stderr)
	}
	st, err := os.Stat(devKey)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dev key: %v %v", st, err)
	}
	key, err := keyfile.Load(devKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := bundle.EncodePublicKey(key.Public().(ed25519.PublicKey))
	if !strings.Contains(stderr, "WARNING") || !strings.Contains(stderr, "created the DEVELOPMENT signing key") || !strings.Contains(stderr, pub) {
		t.Fatalf("no clear warning with the public key:\n%s", stderr)
	}
	bundlePath := filepath.Join(out, "posagent-v9.9.9-linux-amd64.tar.gz")
	if !strings.Contains(stdout, bundlePath) {
		t.Fatalf("stdout %q does not name %s", stdout, bundlePath)
	}

	// Verify as a terminal would: against the public key, from outside the bundle.
	stdout, _, err = run(t, "verify", "--trusted-key", pub, bundlePath)
	if err != nil || !strings.Contains(stdout, "OK  v9.9.9 linux-amd64 (commit abc)") {
		t.Fatalf("verify: %v %q", err, stdout)
	}
	b, err := bundle.OpenFile(bundlePath, []ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range payload {
		f, ok := b.File(p.name)
		if !ok || string(f.Data) != "contents of "+p.name+"\n" || f.Mode != p.mode {
			t.Fatalf("payload %s: %v %q %o", p.name, ok, f.Data, f.Mode)
		}
	}

	// The second build reuses the key and says so.
	_, stderr, err = run(t, "build", "--binary", binary, "--version", "v9.9.10", "--repo", repo, "--out", out, "--dev-key", devKey)
	if err != nil || !strings.Contains(stderr, "using the DEVELOPMENT signing key") {
		t.Fatalf("second build: %v\n%s", err, stderr)
	}
	stdout, _, err = run(t, "pubkey", "--dev-key", devKey)
	if err != nil || strings.TrimSpace(stdout) != pub {
		t.Fatalf("pubkey %q, want %q (%v)", stdout, pub, err)
	}

	// A key nobody trusts is refused with what to do.
	other, _, _ := ed25519.GenerateKey(nil)
	_, _, err = run(t, "verify", "--trusted-key", bundle.EncodePublicKey(other), bundlePath)
	if err == nil || !strings.Contains(err.Error(), "what to do") {
		t.Fatalf("untrusted verify: %v", err)
	}
}

func TestBuildWithReleaseKeyFromEnvironment(t *testing.T) {
	repo, binary := fakeRepo(t)
	keyPath := filepath.Join(t.TempDir(), "release.key")
	stdout, _, err := run(t, "keygen", keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(stdout)
	t.Setenv(ReleaseKeyEnv, keyPath)
	out := t.TempDir()
	devKey := filepath.Join(t.TempDir(), "dev.key")
	_, stderr, err := run(t, "build", "--binary", binary, "--version", "1.0.0", "--repo", repo, "--out", out, "--dev-key", devKey)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr, "WARNING") {
		t.Fatalf("release-key build warned: %s", stderr)
	}
	if _, err := os.Stat(devKey); !os.IsNotExist(err) {
		t.Fatal("a dev key was created although a release key was given")
	}
	if _, _, err := run(t, "verify", "--trusted-key", pub, filepath.Join(out, "posagent-1.0.0-linux-amd64.tar.gz")); err != nil {
		t.Fatal(err)
	}
	// A release key readable by others is refused.
	os.Chmod(keyPath, 0o644)
	if _, _, err := run(t, "build", "--binary", binary, "--version", "1.0.0", "--repo", repo, "--out", out); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
}

func TestBuildRefusesDynamicBinary(t *testing.T) {
	t.Setenv(ReleaseKeyEnv, "")
	repo, _ := fakeRepo(t)
	_, _, err := run(t, "build", "--binary", "/bin/sh", "--version", "1.0", "--repo", repo, "--out", t.TempDir(), "--dev-key", filepath.Join(t.TempDir(), "k"))
	if err == nil {
		t.Fatal("a non-Go dynamic binary was bundled")
	}
}
