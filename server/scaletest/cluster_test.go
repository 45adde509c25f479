package scaletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
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

// settlementd is the binary TestMain built.
var settlementd string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stillpay-scaletest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	settlementd = filepath.Join(dir, "settlementd")
	cmd := exec.Command("go", "build", "-o", settlementd, "./cmd/settlementd")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/settlementd: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// startTimeout bounds one instance's start (migrations included).
const startTimeout = 20 * time.Second

// instance is one running settlementd process.
type instance struct {
	t       *testing.T
	name    string
	data    string
	store   string
	URL     string
	cmd     *exec.Cmd
	log     *syncBuffer
	exited  chan struct{}
	waitErr error
}

// start runs `settlementd serve --store STORE --data DATA` on a free port and waits for /healthz.
func start(t *testing.T, name, data, storeSpec string) *instance {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	in := &instance{t: t, name: name, data: data, store: storeSpec, log: &syncBuffer{}, exited: make(chan struct{})}
	in.cmd = exec.Command(settlementd, "serve", "--data", data, "--store", storeSpec, "--listen", "127.0.0.1:0",
		"--addr-file", addrFile, "--log-level", "warn")
	in.cmd.Stdout, in.cmd.Stderr = in.log, in.log
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		in.waitErr = in.cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(in.kill)
	deadline := time.Now().Add(startTimeout)
	for {
		if raw, err := os.ReadFile(addrFile); err == nil && bytes.HasSuffix(raw, []byte("\n")) {
			in.URL = "http://" + strings.TrimSpace(string(raw))
			if resp, err := http.Get(in.URL + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return in
				}
			}
		}
		select {
		case <-in.exited:
			t.Fatalf("%s exited during start: %v\n%s", name, in.waitErr, in.log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start in %s\n%s", name, startTimeout, in.log)
		}
	}
}

// kill sends SIGKILL and waits for the process to go.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL) // an error only means it is gone already
	<-in.exited
}

// adminCmd runs `settlementd admin --json ARGS` against the instance.
func (in *instance) adminCmd(args ...string) ([]byte, error) {
	full := append([]string{"admin", "--server", in.URL, "--data", in.data, "--json"}, args...)
	cmd := exec.Command(settlementd, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// shareKeys copies what every instance must hold alike from the first instance's data directory:
// the signing keys (terminals verify approvals with them), the seal key (one-time-code secrets in the
// database are sealed with it) and the admin token.
func shareKeys(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if rel == "stillpay.db" {
			return nil // an embedded store file never exists with --store postgres://, but skip it anyway
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
	if err != nil {
		t.Fatalf("share keys: %v", err)
	}
}

// cluster is the set of instances requests are spread over; one may be down.
type cluster struct {
	mu   sync.RWMutex
	live []*instance
}

func (c *cluster) pick(rng *rand.Rand) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live[rng.IntN(len(c.live))].URL
}

func (c *cluster) replace(old, new *instance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, in := range c.live {
		if in == old {
			c.live[i] = new
		}
	}
}

// balances returns every account's balance as one instance reports it.
func balances(t *testing.T, in *instance) map[string]int64 {
	t.Helper()
	out, err := in.adminCmd("balances", "--limit", "1000")
	if err != nil {
		t.Fatal(err)
	}
	var b admin.Balances
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("admin balances: %v: %s", err, out)
	}
	m := map[string]int64{}
	for _, a := range b.Accounts {
		m[a.AccountID] = a.Balance.Minor
	}
	return m
}

// syncBuffer collects a process's output; the process writes while a failing test reads.
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
