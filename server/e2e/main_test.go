package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
)

// bin holds the binaries TestMain built.
var bin struct{ settlementd, wallet string }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stillpay-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin.settlementd = filepath.Join(dir, "settlementd")
	bin.wallet = filepath.Join(dir, "wallet")
	for out, pkg := range map[string]string{bin.settlementd: "./cmd/settlementd", bin.wallet: "./cmd/wallet"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = repoRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, b)
			return 1
		}
	}
	return m.Run()
}

// repoRoot is two levels up from this package (server/e2e).
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "..", "..")
}

// server is a running settlementd process.
type server struct {
	t    *testing.T
	data string
	URL  string
	cmd  *exec.Cmd
	log  *syncBuffer
	// exited is closed when the process is gone; waitErr is its exit status then.
	exited  chan struct{}
	waitErr error
}

// startServer runs `settlementd serve` on data and waits until it answers /healthz.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--addr-file", addrFile, "--log-level", "warn"}, extra...)
	s := &server{t: t, data: data, cmd: exec.Command(bin.settlementd, args...), log: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		if raw, err := os.ReadFile(addrFile); err == nil && bytes.HasSuffix(raw, []byte("\n")) {
			s.URL = "http://" + strings.TrimSpace(string(raw))
			if resp, err := http.Get(s.URL + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return s
				}
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("settlementd exited during start: %v\n%s", s.waitErr, s.log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("settlementd did not start in time\n%s", s.log)
		}
	}
}

// kill sends SIGKILL (no chance to flush anything) and waits for the process to go.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL) // an error only means it is gone already
	<-s.exited
}

// stop sends SIGTERM and waits for the graceful shutdown.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.waitErr != nil {
			s.t.Fatalf("settlementd exited with %v\n%s", s.waitErr, s.log)
		}
	case <-time.After(40 * time.Second):
		s.t.Fatal("settlementd did not stop after SIGTERM")
	}
}

// admin runs `settlementd admin --json ARGS` against the server and returns stdout.
func (s *server) admin(args ...string) []byte {
	s.t.Helper()
	out, err := s.adminErr(args...)
	if err != nil {
		s.t.Fatalf("settlementd admin %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (s *server) adminErr(args ...string) ([]byte, error) {
	full := append([]string{"admin", "--server", s.URL, "--data", s.data, "--json"}, args...)
	cmd := exec.Command(bin.settlementd, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// adminJSON runs an admin command and decodes its JSON answer.
func (s *server) adminJSON(v any, args ...string) {
	s.t.Helper()
	if err := json.Unmarshal(s.admin(args...), v); err != nil {
		s.t.Fatalf("admin %v: %v", args, err)
	}
}

// balances returns every account's balance in minor units.
func (s *server) balances() map[string]int64 {
	s.t.Helper()
	var b admin.Balances
	s.adminJSON(&b, "balances", "--limit", "1000")
	out := map[string]int64{}
	for _, a := range b.Accounts {
		out[a.AccountID] = a.Balance.Minor
	}
	return out
}

// check runs `settlementd admin check` and fails the test unless the ledger is consistent.
func (s *server) check() admin.CheckReport {
	s.t.Helper()
	var r admin.CheckReport
	out, err := s.adminErr("check")
	if jerr := json.Unmarshal(out, &r); jerr != nil || err != nil || !r.OK {
		s.t.Fatalf("admin check failed: %v %v %s", err, jerr, out)
	}
	return r
}

// walletCmd runs the wallet binary with its home in home.
func walletCmd(t *testing.T, home string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin.wallet, append([]string{"--home", home}, args...)...)
	cmd.Env = append(os.Environ(), "STILLPAY_PASSWORD=correct horse battery")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wallet %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// syncBuffer collects the server's output; the process writes while a failing test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
