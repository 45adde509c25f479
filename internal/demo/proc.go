package demo

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is a child process whose output goes to a log file in the work directory.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	// done is closed when the process has ended and waitErr holds what Wait returned; both are
	// written by the one goroutine that waits, so readers need no lock.
	done    chan struct{}
	waitErr error
}

// start runs bin with args; its stdout and stderr go to dir/name.log.
func start(dir, name, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM and waits, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
		return p.waitErr
	}
}

// kill sends SIGKILL, as a power cut would end the process.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last lines of the process's log, for error messages.
func (p *proc) tail() string {
	data, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// run runs bin to completion and returns its stdout; stderr is included in the error.
func run(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// freePort returns a loopback address nobody listens on right now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitFor polls check until it returns nil or the timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var err error
	for {
		if err = check(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s: %v", what, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// LogTails returns the last lines of settlementd's and posagent's logs in the lab's directory, for
// the message of a test that failed while they ran (the processes may have ended or been restarted).
func (l *Lab) LogTails() string {
	var b strings.Builder
	for _, name := range []string{"settlementd", "posagent"} {
		p := &proc{name: name, log: filepath.Join(l.Dir, name+".log")}
		fmt.Fprintf(&b, "--- %s.log (last lines)\n%s\n", name, p.tail())
	}
	return b.String()
}
