//go:build linux

package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stillpay/stillpay/server/bench"
)

// runAsMainEnv makes this test binary behave as settlementd (TestMain below), so that the bench's
// server child ('settlementd serve' of os.Executable) can run from a test.
const runAsMainEnv = "STILLPAY_CLI_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMainEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchServerProcess: `settlementd bench --server-process` measures a real server child and
// reports its own CPU per payment next to the whole (load generator + server), the whole larger, and
// the writes per commit and approvals per signature it reads from the child's /metrics.
func TestBenchServerProcess(t *testing.T) {
	t.Setenv(runAsMainEnv, "1") // inherited by the child
	var out, errOut bytes.Buffer
	profile := filepath.Join(t.TempDir(), "server.prof")
	code := Main([]string{"bench", "--server-process", "--data", t.TempDir(), "--terminals", "4", "--single", "100",
		"--batch100", "0", "--batch1000", "0", "--orders", "0", "--baseline", "5", "--repeats", "1", "--json",
		"--server-cpuprofile", profile}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	// The child wrote its profile when it shut down: a gzipped pprof protobuf.
	if raw, err := os.ReadFile(profile); err != nil || len(raw) < 100 || raw[0] != 0x1f || raw[1] != 0x8b {
		t.Fatalf("server profile: %d bytes, %v", len(raw), err)
	}
	var rep bench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Payments != 400 {
		t.Fatalf("rows %+v", rep.Rows)
	}
	r := rep.Rows[0]
	if r.ServerCPUMicrosPerPayment <= 0 || r.CPUMicrosPerPayment <= r.ServerCPUMicrosPerPayment {
		t.Fatalf("CPU per payment: all %.0f µs, server %.0f µs; want both, the server's below the whole", r.CPUMicrosPerPayment, r.ServerCPUMicrosPerPayment)
	}
	// The group columns come from the child's /metrics: every payment is a write in some commit,
	// and the bench's terminals announce group proofs, so each approval is in some group.
	if r.Commits == 0 || r.WritesPerCommit < 1 || r.ApprovalsPerSignature < 1 {
		t.Fatalf("child mode: %d commits, %.2f writes/commit, %.2f approvals/signature; want all read from /metrics\n%s",
			r.Commits, r.WritesPerCommit, r.ApprovalsPerSignature, errOut.String())
	}
	if bytes.Contains(errOut.Bytes(), []byte("left empty")) {
		t.Fatalf("a group column was left empty:\n%s", errOut.String())
	}
}

// TestBenchServerProfileNeedsChild: the server's profile is the child's, so without a child the flag
// is refused before anything runs.
func TestBenchServerProfileNeedsChild(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main([]string{"bench", "--data", t.TempDir(), "--server-cpuprofile", filepath.Join(t.TempDir(), "p")}, &out, &errOut)
	if code == 0 || !bytes.Contains(errOut.Bytes(), []byte("--server-process")) {
		t.Fatalf("exit %d, %s", code, errOut.String())
	}
}
