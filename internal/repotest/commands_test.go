package repotest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsOnlyWire freezes "cmd/*/main.go only wires": a binary's directory holds main.go (and
// its depaware.txt) and no other Go file, so a command's logic lives in a package that can be
// tested and imported (terminal/cli, server/cli, wallet/cli, terminal/bundle/bundlecmd).
func TestCommandsOnlyWire(t *testing.T) {
	root := repoRoot(t)
	dirs, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	binaries := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		binaries++
		files, err := os.ReadDir(filepath.Join(root, "cmd", d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		hasMain := false
		for _, f := range files {
			switch name := f.Name(); {
			case name == "main.go":
				hasMain = true
			case strings.HasSuffix(name, ".go") || f.IsDir():
				t.Errorf("cmd/%s/%s: a command holds only main.go; move the logic into a package", d.Name(), name)
			}
		}
		if !hasMain {
			t.Errorf("cmd/%s has no main.go", d.Name())
		}
	}
	if binaries < 4 {
		t.Fatalf("found %d binaries under cmd/; the test would prove nothing", binaries)
	}
}
