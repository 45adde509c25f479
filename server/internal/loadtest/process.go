package loadtest

import (
	"bytes"
	"context"
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
)

// Timeouts of a settlementd process's life.
const (
	// StartTimeout bounds one start, migrations on PostgreSQL included.
	StartTimeout = 20 * time.Second
	// StopTimeout bounds a graceful shutdown after SIGTERM.
	StopTimeout = 40 * time.Second
	// startPoll is how often a starting process is asked for its address and /healthz.
	startPoll = 20 * time.Millisecond
)

// Config says how to run one `settlementd serve`.
type Config struct {
	// Binary is the settlementd executable.
	Binary string
	// Name identifies the process in messages ("node1").
	Name string
	// Data is the data directory: keys, admin token and, with the embedded store, the database.
	Data string
	// Store is the --store spec (a postgres:// URL); empty means the embedded store in Data.
	Store string
	// Extra are more `serve` flags.
	Extra []string
}

// Process is a running settlementd.
type Process struct {
	Config
	// URL is the base URL it listens on.
	URL string

	cmd    *exec.Cmd
	output *syncBuffer
	// exited is closed when the process is gone; waitErr is its exit status then.
	exited  chan struct{}
	waitErr error
}

// Start runs `settlementd serve` on a free port of 127.0.0.1 and waits until it answers /healthz.
// The caller kills it (Kill) or stops it (Stop) when done.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	if cfg.Name == "" {
		cfg.Name = "settlementd"
	}
	// The address file lives outside Data: data directories are copied between instances.
	addrDir, err := os.MkdirTemp("", "settlementd-addr-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(addrDir)
	addrFile := filepath.Join(addrDir, "addr")
	args := []string{"serve", "--data", cfg.Data, "--listen", "127.0.0.1:0", "--addr-file", addrFile, "--log-level", "warn"}
	if cfg.Store != "" {
		args = append(args, "--store", cfg.Store)
	}
	p := &Process{Config: cfg, cmd: exec.Command(cfg.Binary, append(args, cfg.Extra...)...), output: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStart, cfg.Name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	for {
		if p.answers(ctx, addrFile) {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%w: %s exited: %v\n%s", ErrStart, cfg.Name, p.waitErr, p.output)
		case <-ctx.Done():
			p.Kill()
			return nil, fmt.Errorf("%w: %s within %s: %v\n%s", ErrStart, cfg.Name, StartTimeout, ctx.Err(), p.output)
		case <-time.After(startPoll):
		}
	}
}

// answers reports whether the process has written its address and answers /healthz there.
func (p *Process) answers(ctx context.Context, addrFile string) bool {
	raw, err := os.ReadFile(addrFile)
	if err != nil || !bytes.HasSuffix(raw, []byte("\n")) {
		return false // not written yet, or written halfway
	}
	p.URL = "http://" + strings.TrimSpace(string(raw))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// StartT starts a process for t, fails t when it does not start, and kills it when t ends.
// Call it from the test's goroutine only.
func StartT(t testing.TB, cfg Config) *Process {
	t.Helper()
	p, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// PID is the process id, e.g. to read its memory figures from /proc.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL (no chance to flush anything) and waits for the process to go. Killing a process
// that is gone already does nothing.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL) // an error only means it is gone already
	<-p.exited
}

// Stop sends SIGTERM and waits for the graceful shutdown, which must end with exit status 0.
func (p *Process) Stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM) // an error only means it is gone already
	ctx, cancel := context.WithTimeout(ctx, StopTimeout)
	defer cancel()
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("%w: %s exited with %v\n%s", ErrStop, p.Name, p.waitErr, p.output)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %s still runs %s after SIGTERM", ErrStop, p.Name, StopTimeout)
	}
}

// Output is what the process has written to stdout and stderr so far.
func (p *Process) Output() string { return p.output.String() }

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
