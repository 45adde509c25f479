package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// bins are the settlementd and wallet binaries the tests run, built once by TestMain.
var bins = loadtest.NewBinaries(filepath.Join("..", ".."), "settlementd", "wallet")

func TestMain(m *testing.M) {
	testenv.MainSkipIfShort(m, "builds and starts the real settlementd binary")
	os.Exit(bins.RunTests(m))
}

// server is a running settlementd on the embedded store, with helpers that fail t.
type server struct {
	*loadtest.Process
	t *testing.T
}

// startServer runs `settlementd serve` on data and waits until it answers /healthz.
func startServer(t *testing.T, data string) *server {
	t.Helper()
	return &server{Process: loadtest.StartT(t, loadtest.Config{Binary: bins.Path("settlementd"), Data: data}), t: t}
}

// stop sends SIGTERM and fails the test unless the server shuts down cleanly.
func (s *server) stop() {
	s.t.Helper()
	if err := s.Stop(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

// admin runs `settlementd admin --json ARGS` against the server and returns stdout.
func (s *server) admin(args ...string) []byte {
	s.t.Helper()
	out, err := s.Admin(context.Background(), args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// adminJSON runs an admin command and decodes its JSON answer.
func (s *server) adminJSON(v any, args ...string) {
	s.t.Helper()
	if err := s.AdminJSON(context.Background(), v, args...); err != nil {
		s.t.Fatal(err)
	}
}

// balances returns every account's balance in minor units.
func (s *server) balances() map[string]int64 {
	s.t.Helper()
	b, err := s.Balances(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// check runs `settlementd admin check` and fails the test unless the ledger is consistent.
func (s *server) check() admin.CheckReport {
	s.t.Helper()
	r, err := s.Check(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// shop adds merchant M1 "Corner shop" (EUR) with terminal T1, user alice (password "correct horse
// battery") and her account acc-alice holding 100.00 EUR; it returns T1's enrollment.
func (s *server) shop() admin.TerminalCreated {
	s.t.Helper()
	s.admin("merchant", "add", "--id", "M1", "--name", "Corner shop", "--currency", "EUR")
	var tc admin.TerminalCreated
	s.adminJSON(&tc, "terminal", "add", "--id", "T1", "--merchant", "M1")
	pwFile := filepath.Join(s.t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		s.t.Fatal(err)
	}
	s.admin("user", "add", "--id", "alice", "--password-file", pwFile)
	s.admin("account", "add", "--id", "acc-alice", "--user", "alice", "--opening", "100.00", "--currency", "EUR")
	return tc
}

// walletCmd runs the wallet binary with its home in home and fails t unless it succeeds.
func walletCmd(t *testing.T, home string, args ...string) string {
	t.Helper()
	stdout, stderr, code := walletRunIn(t, home, "", args...)
	if code != 0 {
		t.Fatalf("wallet %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// walletRun runs the wallet binary and returns its output and exit status.
func walletRun(t *testing.T, home string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return walletRunIn(t, home, "", args...)
}

// walletRunIn is walletRun with stdin as the wallet's standard input.
func walletRunIn(t *testing.T, home, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bins.Path("wallet"), append([]string{"--home", home}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "STILLPAY_PASSWORD=correct horse battery")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("wallet %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}
