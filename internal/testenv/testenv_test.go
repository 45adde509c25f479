package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSkipIfShort runs this package's helper test binary twice, with and without -short, and checks
// that the probe test skips only under -short.
func TestSkipIfShort(t *testing.T) {
	if os.Getenv("TESTENV_PROBE") == "1" {
		return
	}
	for _, c := range []struct {
		short bool
		want  string
	}{{true, "--- SKIP: TestProbe"}, {false, "--- PASS: TestProbe"}} {
		args := []string{"-test.run=^TestProbe$", "-test.v"}
		if c.short {
			args = append(args, "-test.short")
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "TESTENV_PROBE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("short=%v: %v\n%s", c.short, err, out)
		}
		if !strings.Contains(string(out), c.want) || (c.short && !strings.Contains(string(out), "skipped under -short: probe")) {
			t.Errorf("short=%v: want %q and the reason in:\n%s", c.short, c.want, out)
		}
	}
}

// TestProbe is run by TestSkipIfShort in a child process.
func TestProbe(t *testing.T) {
	if os.Getenv("TESTENV_PROBE") != "1" {
		t.Skip("run by TestSkipIfShort")
	}
	SkipIfShort(t, "probe")
}
