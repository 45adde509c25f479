package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// bins are the settlementd and wallet binaries the tests run, built once by TestMain.
var bins = loadtest.NewBinaries(filepath.Join("..", ".."), "settlementd", "wallet")

func TestMain(m *testing.M) {
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

// walletCmd runs the wallet binary with its home in home.
func walletCmd(t *testing.T, home string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bins.Path("wallet"), append([]string{"--home", home}, args...)...)
	cmd.Env = append(os.Environ(), "STILLPAY_PASSWORD=correct horse battery")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wallet %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}
