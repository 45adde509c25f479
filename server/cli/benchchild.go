package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
)

// childStartTimeout bounds how long the child settlementd may take to listen.
const childStartTimeout = 60 * time.Second

// childOptions are the server child's settings from the bench's flags.
type childOptions struct {
	storeSpec  string // --store; "" is the embedded store in the data directory
	gcPercent  int
	cpuProfile string // --cpuprofile; "" profiles nothing
}

// benchChild runs `settlementd serve` of this very binary as a child process on data and
// 127.0.0.1 and measures it. The server then has a process of its own, so the report shows its CPU
// per payment apart from the load generator's (docs/benchmarks.md, "The request path"); the whole
// column is the sum of both processes, comparable to the in-process figure.
func benchChild(ctx context.Context, cmd *cobra.Command, cfg bench.Config, data string, opt childOptions, asJSON bool) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: the server child needs this binary's path: %w", err)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	addrFile := filepath.Join(data, "bench.addr")
	args := []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--addr-file", addrFile,
		"--log-level", "warn", "--gc-percent", strconv.Itoa(opt.gcPercent)}
	if opt.storeSpec != "" {
		args = append(args, "--store", opt.storeSpec)
	}
	if opt.cpuProfile != "" {
		args = append(args, "--cpuprofile", opt.cpuProfile)
	}
	child := exec.Command(exe, args...)
	// The child's output is copied by exec's goroutine while the bench writes its progress: both go
	// through one lock (an *os.File would be safe alone; a buffer in a test is not).
	errOut := &lockedWriter{w: cmd.ErrOrStderr()}
	child.Stdout, child.Stderr, cfg.Progress = errOut, errOut, errOut
	if err := child.Start(); err != nil {
		return fmt.Errorf("bench: start the server child: %w", err)
	}
	if opt.cpuProfile != "" {
		cfg.SetupDone = func() error { return signalProfileRestart(child.Process) }
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	defer func() {
		// SIGTERM lets serve close its store cleanly; a child that hangs is killed.
		_ = child.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = child.Process.Kill()
			<-exited
		}
	}()
	addr, err := waitAddr(ctx, addrFile, exited)
	if err != nil {
		return err
	}
	tok, err := admin.LoadToken(filepath.Join(data, adminTokenFileName))
	if err != nil {
		return err
	}
	pid := child.Process.Pid
	cfg.BaseURL, cfg.AdminToken = "http://"+addr, tok
	readGroupsFromMetrics(&cfg) // the child serves /metrics on --listen: no --metrics-listen here
	cfg.ServerCPUTime = func() time.Duration { return pidCPU(pid) }
	cfg.CPUTime = func() time.Duration { return processCPU() + pidCPU(pid) }
	return runBench(ctx, cmd, cfg, asJSON)
}

// waitAddr waits for the child to write the address it listens on.
func waitAddr(ctx context.Context, file string, exited <-chan error) (string, error) {
	deadline := time.After(childStartTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case err := <-exited:
			return "", fmt.Errorf("bench: the server child exited before listening: %v", err)
		case <-deadline:
			return "", errors.New("bench: the server child did not listen within " + childStartTimeout.String())
		case <-ctx.Done():
			return "", ctx.Err()
		case <-tick.C:
		}
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
