// Package testenv decides which tests a developer's loop runs: `go test -short ./...` skips the slow
// end-to-end, chaos and simulation tests (each saying why), while `make test` runs everything.
package testenv

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// SkipIfShort skips t under -short, giving why (one line: what makes the test slow).
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: " + why)
	}
}

// MainSkipIfShort is for a TestMain whose whole package is slow: under -short it prints why and ends
// the test binary at once (nothing is built or started); otherwise it returns and TestMain goes on.
// It parses the test flags, which m.Run would otherwise do.
func MainSkipIfShort(m *testing.M, why string) {
	if !flag.Parsed() {
		flag.Parse()
	}
	if testing.Short() {
		fmt.Println("skipped under -short: " + why)
		os.Exit(0)
	}
}
