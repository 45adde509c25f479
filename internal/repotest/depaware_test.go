package repotest

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Tailscale's depaware idea: every binary that ships has its list of third-party packages checked in
// beside its main (cmd/<binary>/depaware.txt), so that a new dependency, or one that comes along
// with an upgrade, shows in review as a change to that file instead of slipping into the binary.
// posagent runs on small terminals with a size budget; settlementd holds the money.

var updateDepaware = flag.Bool("update", false, "rewrite cmd/*/depaware.txt from go list -deps")

// depawareBinaries are the binaries whose third-party packages are frozen.
var depawareBinaries = []string{"posagent", "settlementd", "wallet"}

// depawarePlatform is the platform the lists are taken for: the one every binary ships on. Build
// constraints make the list differ by platform (golang.org/x/sys/unix vs windows), so it is fixed.
var depawarePlatform = []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}

// depawareHeader starts every list; it says how the file is made and how to change it.
func depawareHeader(binary string) string {
	return "# Third-party packages linked into " + binary + " (" + strings.Join(depawarePlatform, " ") + "), from\n" +
		"# go list -deps. A change is a decision: run go test ./internal/repotest -run TestDepaware -update\n" +
		"# and say in the commit why the binary needs it.\n"
}

// TestDepaware compares each binary's third-party packages with its checked-in list.
func TestDepaware(t *testing.T) {
	root := repoRoot(t)
	for _, binary := range depawareBinaries {
		t.Run(binary, func(t *testing.T) {
			got := depawareHeader(binary) + strings.Join(thirdPartyDeps(t, root, binary), "\n") + "\n"
			path := filepath.Join(root, "cmd", binary, "depaware.txt")
			if *updateDepaware {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create it with: go test ./internal/repotest -run TestDepaware -update)", err)
			}
			if added, removed := lineDiff(string(want), got); len(added)+len(removed) > 0 {
				t.Errorf("%s's third-party packages changed (cmd/%s/depaware.txt):\n  added:   %s\n  removed: %s\n"+
					"if this is a decision, run go test ./internal/repotest -run TestDepaware -update and say why in the commit",
					binary, binary, strings.Join(added, " "), strings.Join(removed, " "))
			}
		})
	}
}

// thirdPartyDeps lists the packages the binary links that are neither the standard library nor
// this module's, sorted (go list prints them in dependency order, which moves with our own code).
func thirdPartyDeps(t *testing.T, root, binary string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./cmd/"+binary)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), depawarePlatform...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/%s: %v", binary, err)
	}
	var deps []string
	ours := 0
	for _, p := range strings.Fields(string(out)) {
		if p == modulePath || strings.HasPrefix(p, modulePath+"/") {
			ours++
			continue
		}
		deps = append(deps, p)
	}
	if ours < 5 {
		t.Fatalf("go list -deps ./cmd/%s named %d of our packages; the list would prove nothing", binary, ours)
	}
	sort.Strings(deps)
	return deps
}

// lineDiff returns the lines of got missing from want and those of want missing from got, ignoring
// comment lines (the header's wording is not a dependency).
func lineDiff(want, got string) (added, removed []string) {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				m[l] = true
			}
		}
		return m
	}
	w, g := set(want), set(got)
	for l := range g {
		if !w[l] {
			added = append(added, l)
		}
	}
	for l := range w {
		if !g[l] {
			removed = append(removed, l)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return added, removed
}

// TestLineDiff: the comparison TestDepaware relies on sees an added and a removed package, and
// ignores comments, order and blank lines.
func TestLineDiff(t *testing.T) {
	for _, tc := range []struct {
		name, want, got string
		added, removed  string
	}{
		{"same", "# h\na\nb\n", "# other header\nb\na\n\n", "", ""},
		{"added", "a\n", "a\nb\n", "b", ""},
		{"removed", "a\nb\nc\n", "a\n", "", "b c"},
		{"both", "a\nb\n", "a\nc\n", "c", "b"},
		{"comment is not a package", "# a\n", "a\n", "a", ""},
	} {
		added, removed := lineDiff(tc.want, tc.got)
		if strings.Join(added, " ") != tc.added || strings.Join(removed, " ") != tc.removed {
			t.Errorf("%s: added %q removed %q, want %q and %q", tc.name, added, removed, tc.added, tc.removed)
		}
	}
}
