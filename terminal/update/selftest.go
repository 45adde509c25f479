package update

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// SelfTester runs a binary once to prove that it starts on this machine, before it is swapped in.
type SelfTester interface {
	SelfTest(ctx context.Context, path string) (output string, err error)
}

// DefaultSelfTestTimeout bounds `posagent version`; under qemu or on a slow box it still takes well
// under a second.
const DefaultSelfTestTimeout = 20 * time.Second

// maxSelfTestOutput bounds what is kept of the binary's output.
const maxSelfTestOutput = 4 << 10

// ExecSelfTest runs `PATH version` and expects exit status 0.
type ExecSelfTest struct {
	Timeout time.Duration
}

// SelfTest implements SelfTester.
func (e ExecSelfTest) SelfTest(ctx context.Context, path string) (string, error) {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultSelfTestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version")
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%w: %s version: %v: %s", ErrSelfTest, path, err, strings.TrimSpace(out.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// limitedBuffer keeps the first maxSelfTestOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxSelfTestOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
