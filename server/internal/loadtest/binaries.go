package loadtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binaries are commands of this module built once for a test binary's run.
type Binaries struct {
	moduleRoot string
	names      []string
	dir        string
}

// NewBinaries names the commands (./cmd/NAME of the module at moduleRoot) to build; nothing is
// built before Build or RunTests.
func NewBinaries(moduleRoot string, names ...string) *Binaries {
	return &Binaries{moduleRoot: moduleRoot, names: names}
}

// Build builds every command into a fresh temporary directory; Remove deletes it.
func (b *Binaries) Build(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "stillpay-loadtest-bin-")
	if err != nil {
		return err
	}
	b.dir = dir
	for _, name := range b.names {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.Path(name), "./cmd/"+name)
		cmd.Dir = b.moduleRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%w: go build ./cmd/%s: %v\n%s", ErrBuild, name, err, out)
		}
	}
	return nil
}

// Path is where the command name is built.
func (b *Binaries) Path(name string) string { return filepath.Join(b.dir, name) }

// Remove deletes the binaries.
func (b *Binaries) Remove() error { return os.RemoveAll(b.dir) }

// RunTests is a TestMain's body: build, run the tests, remove the binaries, and return the exit
// code (1, with the reason on stderr, when the build fails).
func (b *Binaries) RunTests(m interface{ Run() int }) int {
	defer b.Remove()
	if err := b.Build(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
