package crosstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// settlement is a live settlementd on loopback, started from the native build.
type settlement struct {
	bin, data, addr, URL string
	cmd                  *exec.Cmd
	done                 chan struct{}
}

func startSettlement(t *testing.T) *settlement {
	t.Helper()
	bin, _ := nativeTools(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &settlement{bin: bin, data: filepath.Join(t.TempDir(), "server"), addr: addr, URL: "http://" + addr}
	s.start(t)
	t.Cleanup(s.stop)
	return s
}

func (s *settlement) start(t *testing.T) {
	t.Helper()
	log, err := os.Create(filepath.Join(filepath.Dir(s.data), fmt.Sprintf("settlementd-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin, "serve", "--data", s.data, "--listen", s.addr)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); log.Close(); close(s.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.done:
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("settlementd exited:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("settlementd did not answer within 20s: %v", err)
		}
	}
}

func (s *settlement) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// admin runs `settlementd admin ARGS` against this server.
func (s *settlement) admin(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	full := append([]string{"admin", "--server", s.URL, "--data", s.data}, args...)
	out, err := exec.CommandContext(ctx, s.bin, full...).CombinedOutput()
	if err != nil {
		t.Fatalf("settlementd %v: %v\n%s", full, err, out)
	}
	return string(out)
}

// newTerminal adds a merchant (once) and a terminal, and returns the terminal's enrollment code.
func (s *settlement) newTerminal(t *testing.T, merchant, terminal string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(s.data, ".merchant-"+merchant)); err != nil {
		s.admin(t, "merchant", "add", "--id", merchant, "--name", "Lane Test Shop", "--currency", "EUR", "--receipt-line", "1 Test Street")
		os.WriteFile(filepath.Join(s.data, ".merchant-"+merchant), nil, 0o600)
	}
	out := s.admin(t, "--json", "terminal", "add", "--id", terminal, "--merchant", merchant, "--name", "till 1")
	var term struct {
		EnrollCode string `json:"enroll_code"`
	}
	if err := json.Unmarshal([]byte(out), &term); err != nil || term.EnrollCode == "" {
		t.Fatalf("terminal add answered %q: %v", out, err)
	}
	return term.EnrollCode
}
