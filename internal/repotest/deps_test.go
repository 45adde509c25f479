package repotest

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// The layering of the module, in the style of Go's go/build/deps_test.go: every allowed import
// direction between the top-level areas is written down here, so a new direction (or a new
// third-party module in an area) fails this test and becomes a decision rather than an accident.
// Only production imports are checked (not _test.go files), as go/build does: end-to-end tests
// legitimately reach across areas to start the real binaries. The standard library is always allowed.

const modulePath = "github.com/stillpay/stillpay"

// area is one top-level directory of the module and what its packages may import.
type area struct {
	name string
	// areas lists the other top-level areas this one may import (its own is always allowed).
	areas []string
	// modules lists the third-party module path prefixes this area may import.
	modules []string
}

// layers states the design rule (docs/design.md, COMMON standards): terminal → hardware, shared;
// server → shared; hardware → shared; wallet → shared; shared → stdlib (+ small crypto/encoding deps);
// cmd/* only wires.
var layers = []area{
	{name: "shared", modules: []string{"golang.org/x/crypto", "golang.org/x/text"}},
	{name: "hardware", areas: []string{"shared"}, modules: []string{
		"go.bug.st/serial", "github.com/makiuchi-d/gozxing", "github.com/skip2/go-qrcode",
		"golang.org/x/text", "golang.org/x/sys",
		"github.com/creack/pty", // hardware/sim only: simulated devices are ptys.
	}},
	{name: "terminal", areas: []string{"hardware", "shared"}, modules: []string{
		"go.etcd.io/bbolt", "go.yaml.in/yaml/v3", "github.com/spf13/cobra", "golang.org/x/sys",
	}},
	{name: "server", areas: []string{"shared"}, modules: []string{
		"github.com/jackc/pgx/v5", "github.com/jackc/puddle/v2", "github.com/prometheus/client_golang",
		"github.com/spf13/cobra", "github.com/spf13/pflag", "go.etcd.io/bbolt", "golang.org/x/crypto",
		"github.com/SherClockHolmes/webpush-go", // server/push: Web Push to the web wallets (issue #17)
	}},
	// wallet is the phone itself (a phone app would reuse it) and its command line; it holds no image
	// code (cmd/wallet wires hardware/imaging in for `wallet pay --image`).
	{name: "wallet", areas: []string{"shared"}, modules: []string{
		"github.com/spf13/cobra", "github.com/skip2/go-qrcode", "golang.org/x/term",
	}},
	// cmd/<binary>/main.go wires packages from every area together and imports no third-party code
	// itself.
	{name: "cmd", areas: []string{"hardware", "internal", "server", "shared", "terminal", "wallet"}},
	// internal/*: demo and crosstest put the whole system together; repotest only reads the tree.
	{name: "internal", areas: []string{"hardware", "server", "shared", "terminal", "wallet"}},
}

// exception is an import that breaks the layering. Each one says why it stands and what removes it;
// the test fails when an exception is no longer needed, so the list only shrinks. None stands today.
type exception struct{ from, to, why string }

var exceptions = []exception{}

// TestDependencyLayers lists every package's production imports and checks each against layers.
func TestDependencyLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", modulePath+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	rules := map[string]area{}
	for _, a := range layers {
		rules[a.name] = a
	}
	type edge struct{ from, to string }
	exempt := map[edge]string{}
	for _, e := range exceptions {
		exempt[edge{e.from, e.to}] = e.why
	}
	used := map[edge]bool{}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 30 {
		t.Fatalf("go list returned %d packages; the test would prove nothing", len(lines))
	}
	var violations []string
	for _, line := range lines {
		fields := strings.Fields(line)
		from := strings.TrimPrefix(strings.TrimPrefix(fields[0], modulePath), "/")
		fromArea := topLevel(from)
		rule, ok := rules[fromArea]
		if !ok {
			violations = append(violations, from+": top-level area "+fromArea+" has no rule in layers; add one")
			continue
		}
		for _, imp := range fields[1:] {
			if allowed(rule, fromArea, imp) {
				continue
			}
			to := strings.TrimPrefix(strings.TrimPrefix(imp, modulePath), "/")
			if _, ok := exempt[edge{from, to}]; ok {
				used[edge{from, to}] = true
				continue
			}
			violations = append(violations, from+" imports "+to)
		}
	}
	sort.Strings(violations)
	for _, v := range violations {
		t.Errorf("new import direction: %s (allowed directions are in layers; change the code or record a decision)", v)
	}
	for _, e := range exceptions {
		if !used[edge{e.from, e.to}] {
			t.Errorf("exception %s → %s is no longer needed; delete it from exceptions", e.from, e.to)
		}
	}
}

// allowed reports whether a package of area fromArea may import imp under rule.
func allowed(rule area, fromArea, imp string) bool {
	if isStd(imp) {
		return true
	}
	if imp == modulePath || strings.HasPrefix(imp, modulePath+"/") {
		toArea := topLevel(strings.TrimPrefix(strings.TrimPrefix(imp, modulePath), "/"))
		if toArea == fromArea {
			return true
		}
		for _, a := range rule.areas {
			if a == toArea {
				return true
			}
		}
		return false
	}
	for _, m := range rule.modules {
		if imp == m || strings.HasPrefix(imp, m+"/") {
			return true
		}
	}
	return false
}

// topLevel returns the first element of a module-relative package path ("" for the root package).
func topLevel(rel string) string {
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// isStd reports whether imp is a standard-library path: its first element has no dot, as the go
// command decides (and "C" for cgo).
func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}
