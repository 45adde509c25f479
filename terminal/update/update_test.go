package update

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/terminal/bundle"
)

var (
	releaseKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	releasePub  = releaseKey.Public().(ed25519.PublicKey)
	strangerKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
)

// script is a stand-in posagent: `version` prints its version, as the real one does.
func script(version string, exit int) []byte {
	return []byte("#!/bin/sh\necho \"posagent " + version + "\"\nexit " + string(rune('0'+exit)) + "\n")
}

// bundleFile writes a signed bundle carrying bin to a temp file.
func bundleFile(t *testing.T, version string, bin []byte, target bundle.Target, key ed25519.PrivateKey) string {
	t.Helper()
	m := bundle.Manifest{Format: bundle.FormatVersion, Product: bundle.Product, Version: version, Target: target}
	var buf bytes.Buffer
	err := bundle.Build(&buf, m, map[string]bundle.File{
		bundle.BinaryName: {Mode: 0o755, Data: bin},
		"install.sh":      {Mode: 0o755, Data: []byte("#!/bin/sh\n")},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), m.FileName())
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamperFile rewrites one file inside a bundle after signing.
func tamperFile(t *testing.T, bundlePath, name string, fn func([]byte) []byte) string {
	t.Helper()
	raw, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if strings.HasSuffix(h.Name, "/"+name) {
			data = fn(data)
			h.Size = int64(len(data))
		}
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	gw.Close()
	path := filepath.Join(t.TempDir(), "tampered.tar.gz")
	os.WriteFile(path, out.Bytes(), 0o644)
	return path
}

// install lays out an installed binary at DIR/opt/stillpay/bin/posagent with a symlink from
// DIR/usr/local/bin/posagent, as install.sh does, and returns the symlink.
func install(t *testing.T, bin []byte) (link, real string) {
	t.Helper()
	root := t.TempDir()
	real = filepath.Join(root, "opt", "stillpay", "bin", "posagent")
	link = filepath.Join(root, "usr", "local", "bin", "posagent")
	os.MkdirAll(filepath.Dir(real), 0o755)
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.WriteFile(real, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	return link, real
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

var here = CurrentTarget()

func opts(binary string) Options {
	return Options{Binary: binary, Trusted: []ed25519.PublicKey{releasePub}}
}

func TestApplyKeepsPreviousAndRollsBack(t *testing.T) {
	ctx := context.Background()
	link, real := install(t, script("v1", 0))
	v2 := bundleFile(t, "v2", script("v2", 0), here, releaseKey)

	res, err := Apply(ctx, v2, opts(link))
	if err != nil {
		t.Fatal(err)
	}
	if res.Binary != real || res.Previous != real+".prev" || res.Version != "v2" || res.SelfTest != "posagent v2" || res.KeyID != bundle.KeyID(releasePub) {
		t.Fatalf("result %+v", res)
	}
	if read(t, real) != string(script("v2", 0)) || read(t, real+".prev") != string(script("v1", 0)) {
		t.Fatal("binary not replaced or previous not kept")
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v", st.Mode())
	}
	if l, _ := os.Readlink(link); l != real {
		t.Fatal("the symlink was replaced instead of its target")
	}

	// The same bundle again changes nothing, and keeps v1 as the rollback target.
	res, err = Apply(ctx, v2, opts(link))
	if err != nil || !res.Unchanged || read(t, real+".prev") != string(script("v1", 0)) {
		t.Fatalf("reapply: %+v %v", res, err)
	}

	v3 := bundleFile(t, "v3", script("v3", 0), here, releaseKey)
	if _, err := Apply(ctx, v3, opts(link)); err != nil {
		t.Fatal(err)
	}
	if read(t, real) != string(script("v3", 0)) || read(t, real+".prev") != string(script("v2", 0)) {
		t.Fatal("second update")
	}

	res, err = Rollback(ctx, opts(link))
	if err != nil || res.SelfTest != "posagent v2" {
		t.Fatalf("rollback: %+v %v", res, err)
	}
	if read(t, real) != string(script("v2", 0)) || read(t, real+".prev") != string(script("v3", 0)) {
		t.Fatal("rollback did not swap")
	}
	if _, err := Rollback(ctx, opts(link)); err != nil || read(t, real) != string(script("v3", 0)) {
		t.Fatalf("second rollback goes forward again: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(real))
	for _, e := range entries {
		if e.Name() != "posagent" && e.Name() != "posagent.prev" && e.Name() != ".posagent.update.lock" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// refusalCases: bundles Apply must refuse without touching the installed binary.
var refusalCases = []struct {
	name       string
	bundlePath func(t *testing.T) string
	trusted    []ed25519.PublicKey
	want       error
	hint       string
}{
	{name: "changed byte in the binary", want: bundle.ErrChecksum, hint: "download the bundle again",
		bundlePath: func(t *testing.T) string {
			return tamperFile(t, bundleFile(t, "v2", script("v2", 0), here, releaseKey), bundle.BinaryName, func(b []byte) []byte { b[12] ^= 1; return b })
		}},
	{name: "changed byte in the sums", want: bundle.ErrBadSignature, hint: "do not install it",
		bundlePath: func(t *testing.T) string {
			return tamperFile(t, bundleFile(t, "v2", script("v2", 0), here, releaseKey), bundle.SumsName, func(b []byte) []byte { b[5] ^= 1; return b })
		}},
	{name: "changed byte in the signature", want: bundle.ErrBadSignature,
		bundlePath: func(t *testing.T) string {
			return tamperFile(t, bundleFile(t, "v2", script("v2", 0), here, releaseKey), bundle.SignatureName, func(b []byte) []byte { b[len(b)-5] ^= 1; return b })
		}},
	{name: "signed by a stranger", want: bundle.ErrUntrustedKey, hint: "--trusted-key",
		bundlePath: func(t *testing.T) string { return bundleFile(t, "v2", script("v2", 0), here, strangerKey) }},
	{name: "no trusted key", want: bundle.ErrNoTrustedKeys, trusted: []ed25519.PublicKey{},
		bundlePath: func(t *testing.T) string { return bundleFile(t, "v2", script("v2", 0), here, releaseKey) }},
	{name: "another architecture", want: ErrWrongTarget, hint: "architecture",
		bundlePath: func(t *testing.T) string {
			other := bundle.Target{OS: "linux", Arch: "riscv64"}
			return bundleFile(t, "v2", script("v2", 0), other, releaseKey)
		}},
	{name: "binary that does not run here", want: ErrSelfTest, hint: "nothing was changed",
		bundlePath: func(t *testing.T) string { return bundleFile(t, "v2", script("v2", 3), here, releaseKey) }},
	{name: "not a bundle", want: bundle.ErrMalformed,
		bundlePath: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "notes.txt")
			os.WriteFile(p, []byte("hello"), 0o644)
			return p
		}},
}

func TestApplyRefusesAndChangesNothing(t *testing.T) {
	for _, tc := range refusalCases {
		t.Run(tc.name, func(t *testing.T) {
			link, real := install(t, script("v1", 0))
			o := opts(link)
			if tc.trusted != nil {
				o.Trusted = tc.trusted
			}
			_, err := Apply(context.Background(), tc.bundlePath(t), o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if h := Hint(err); h == "" || !strings.Contains(h, tc.hint) {
				t.Fatalf("hint %q lacks %q", h, tc.hint)
			}
			if read(t, real) != string(script("v1", 0)) {
				t.Fatal("installed binary changed")
			}
			entries, _ := os.ReadDir(filepath.Dir(real))
			for _, e := range entries {
				if e.Name() != "posagent" && e.Name() != ".posagent.update.lock" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	link, _ := install(t, script("v1", 0))
	if _, err := Rollback(context.Background(), opts(link)); !errors.Is(err, ErrNoPrevious) || Hint(err) == "" {
		t.Fatalf("error %v", err)
	}
}

func TestRollbackRefusesBrokenPrevious(t *testing.T) {
	link, real := install(t, script("v2", 0))
	os.WriteFile(real+".prev", script("v1", 4), 0o755)
	if _, err := Rollback(context.Background(), opts(link)); !errors.Is(err, ErrSelfTest) {
		t.Fatalf("error %v", err)
	}
	if read(t, real) != string(script("v2", 0)) {
		t.Fatal("a broken previous binary was swapped in")
	}
}

// TestRollbackFinishesAnInterruptedRollback simulates a power cut between the two renames.
func TestRollbackFinishesAnInterruptedRollback(t *testing.T) {
	link, real := install(t, script("v1", 0))
	os.WriteFile(filepath.Join(filepath.Dir(real), ".posagent.swap"), script("v2", 0), 0o755)
	res, err := Rollback(context.Background(), opts(link))
	if err != nil || res.SelfTest != "posagent v2" {
		t.Fatalf("%+v %v", res, err)
	}
	if read(t, real) != string(script("v2", 0)) || read(t, real+".prev") != string(script("v1", 0)) {
		t.Fatal("interrupted rollback not completed")
	}
}

func TestCompatible(t *testing.T) {
	arm := func(v string) bundle.Target { return bundle.Target{OS: "linux", Arch: "arm", ARM: v} }
	for _, tc := range []struct {
		bundled, here bundle.Target
		ok            bool
	}{
		{arm("7"), arm("7"), true},
		{arm("6"), arm("7"), true},
		{arm("7"), arm("6"), false},
		{bundle.Target{OS: "linux", Arch: "arm64"}, arm("7"), false},
		{bundle.Target{OS: "linux", Arch: "amd64"}, bundle.Target{OS: "linux", Arch: "amd64"}, true},
		{bundle.Target{OS: "darwin", Arch: "amd64"}, bundle.Target{OS: "linux", Arch: "amd64"}, false},
	} {
		if got := compatible(tc.bundled, tc.here); got != tc.ok {
			t.Errorf("compatible(%s, %s) = %v", tc.bundled, tc.here, got)
		}
	}
}
