package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInspectStaticCrossBuild builds a tiny program the way make cross builds posagent and checks
// Inspect reads its target and sees it is static.
func TestInspectStaticCrossBuild(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644)
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	info, err := Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Target != (Target{OS: "linux", Arch: "arm", ARM: "7"}) || !info.Static() || info.CGO {
		t.Fatalf("info %+v", info)
	}
	if err := CheckShippable(info); err != nil {
		t.Fatal(err)
	}
	info.Size = MaxBinarySize + 1
	if err := CheckShippable(info); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("oversize binary: %v", err)
	}
}

// TestInspectSeesDynamicLinking uses the system shell, which every Debian links dynamically.
func TestInspectSeesDynamicLinking(t *testing.T) {
	var info BinaryInfo
	if err := inspectELF("/bin/sh", &info); err != nil {
		t.Fatal(err)
	}
	if info.Static() || info.Interpreter == "" {
		t.Fatalf("/bin/sh reported static: %+v", info)
	}
	if err := CheckShippable(info); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("dynamic binary: %v", err)
	}
	if _, err := Inspect("/bin/sh"); err == nil {
		t.Fatal("a non-Go binary was inspected")
	}
}
