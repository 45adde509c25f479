package repotest

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestFuzzTargetsHaveNoBuildTags keeps scripts/fuzz.sh honest: it finds the fuzz targets by reading
// the test files (`go test -list` would link every package's test binary first, 2 minutes of CI), so
// a target behind a build constraint (a //go:build line or a _GOOS/_GOARCH file name) would be run
// where it does not exist, or not at all. Every fuzz target must be built everywhere.
func TestFuzzTargetsHaveNoBuildTags(t *testing.T) {
	root := repoRoot(t)
	targets := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		var fuzz []string
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Fuzz") {
				fuzz = append(fuzz, fn.Name.Name)
			}
		}
		if len(fuzz) == 0 {
			return nil
		}
		targets += len(fuzz)
		rel, _ := filepath.Rel(root, path)
		for _, group := range f.Comments {
			if group.Pos() > f.Package {
				break
			}
			for _, c := range group.List {
				if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
					t.Errorf("%s: fuzz targets %v sit behind the build constraint %q; scripts/fuzz.sh reads targets from the source and needs them everywhere", rel, fuzz, c.Text)
				}
			}
		}
		if constrainedName(filepath.Base(path)) {
			t.Errorf("%s: fuzz targets %v are in a file whose name restricts it to some GOOS/GOARCH", rel, fuzz)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if targets < 10 {
		t.Fatalf("found only %d fuzz targets; is the walk broken?", targets)
	}
}

// constrainedName reports whether a file name's last parts (before _test.go) are a GOOS or GOARCH,
// which restricts the file as a build constraint does.
func constrainedName(base string) bool {
	parts := strings.Split(strings.TrimSuffix(base, "_test.go"), "_")
	for _, p := range parts[1:] {
		if knownOSArch[p] {
			return true
		}
	}
	return false
}

var knownOSArch = map[string]bool{
	"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "illumos": true,
	"ios": true, "js": true, "linux": true, "netbsd": true, "openbsd": true, "plan9": true,
	"solaris": true, "wasip1": true, "windows": true,
	"386": true, "amd64": true, "arm": true, "arm64": true, "loong64": true, "mips": true, "mipsle": true,
	"mips64": true, "mips64le": true, "ppc64": true, "ppc64le": true, "riscv64": true, "s390x": true, "wasm": true,
}
