package terminal

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const queuePkg = "github.com/stillpay/stillpay/terminal/queue"

// TestOnlyQueueSetsRecordState guards issue #15's rule that every state change of a sale goes
// through the queue's API (queue.Move, queue.Transition, queue.Unstored), which checks the move
// against the transition table: no non-test file of terminal/ outside terminal/queue assigns the
// State field of a queue.Record. The files are type-checked, so a view's own State field is not
// mistaken for the record's. Inserts (a Record literal with its first state) are checked by Put.
func TestOnlyQueueSetsRecordState(t *testing.T) {
	out, err := exec.Command("go", "list", "-export", "-deps", "-f",
		"{{.ImportPath}}\t{{.Export}}\t{{.Dir}}\t{{join .GoFiles \"\\t\"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	exports := map[string]string{}
	type pkg struct {
		path, dir string
		files     []string
	}
	var pkgs []pkg
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) < 3 {
			t.Fatalf("go list line %q", line)
		}
		exports[f[0]] = f[1]
		if strings.HasPrefix(f[0], "github.com/stillpay/stillpay/terminal") && f[0] != queuePkg &&
			!strings.HasPrefix(f[0], queuePkg+"/") && len(f) > 3 {
			pkgs = append(pkgs, pkg{path: f[0], dir: f[2], files: f[3:]})
		}
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d terminal packages; the guard would prove nothing", len(pkgs))
	}
	imp := exportImporter(exports)
	checked := 0
	for _, p := range pkgs {
		fset := token.NewFileSet()
		var files []*ast.File
		for _, name := range p.files {
			if name == "" {
				continue // a package of test files only
			}
			f, err := parser.ParseFile(fset, filepath.Join(p.dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		for _, w := range recordStateWrites(t, fset, imp(fset), p.path, files) {
			t.Errorf("%s assigns a queue.Record's State; move it with queue.Move, queue.Transition or queue.Unstored", w)
		}
		checked += len(files)
	}
	t.Logf("%d packages, %d files checked", len(pkgs), checked)
}

// TestRecordStateWritesFindsAssignments shows the guard above can fail: it finds the assignments
// to a record's State in a probe package, and not the one to another type's State.
func TestRecordStateWritesFindsAssignments(t *testing.T) {
	const src = `package probe

import "github.com/stillpay/stillpay/terminal/queue"

type view struct{ State string }

func f(r *queue.Record, v view, rs []queue.Record) {
	r.State = queue.StateSettled
	v.State = "settled"
	rs[0].State, v.State = queue.StateQueued, ""
	(*r).State = "x"
}
`
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", queuePkg).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	exports := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, export, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t")
		exports[path] = export
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "probe.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := recordStateWrites(t, fset, exportImporter(exports)(fset), "probe", []*ast.File{f})
	want := []string{"probe.go:8:2", "probe.go:10:2", "probe.go:11:2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("found %v, want %v", got, want)
	}
}

// exportImporter imports packages from the export data files go list -export names.
func exportImporter(exports map[string]string) func(*token.FileSet) types.Importer {
	return func(fset *token.FileSet) types.Importer {
		return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			file, ok := exports[path]
			if !ok || file == "" {
				return nil, fmt.Errorf("no export data for %s", path)
			}
			return os.Open(file)
		})
	}
}

// recordStateWrites type-checks files and returns the positions of assignments to the State field
// of a queue.Record (or *queue.Record).
func recordStateWrites(t *testing.T, fset *token.FileSet, imp types.Importer, path string, files []*ast.File) []string {
	t.Helper()
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	if _, err := (&types.Config{Importer: imp}).Check(path, fset, files, info); err != nil {
		t.Fatalf("type-check %s: %v", path, err)
	}
	var found []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, lhs := range as.Lhs {
				sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "State" {
					continue
				}
				typ := info.TypeOf(sel.X)
				if p, ok := typ.(*types.Pointer); ok {
					typ = p.Elem()
				}
				if named, ok := typ.(*types.Named); ok && named.Obj().Pkg() != nil &&
					named.Obj().Pkg().Path() == queuePkg && named.Obj().Name() == "Record" {
					pos := fset.Position(sel.Pos())
					found = append(found, fmt.Sprintf("%s:%d:%d", pos.Filename, pos.Line, pos.Column))
				}
			}
			return true
		})
	}
	return found
}
