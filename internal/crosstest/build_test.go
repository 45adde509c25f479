package crosstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stillpay/stillpay/internal/testenv"
)

// target is one `make cross` target.
type target struct {
	name       string // directory name, as make cross and bundle file names have it
	goarch     string
	goarm      string
	qemu       string // qemu-user emulator that runs it on amd64; "" when it runs natively
	elfMachine string
}

var targets = []target{
	{name: "linux-armv7", goarch: "arm", goarm: "7", qemu: "qemu-arm-static", elfMachine: "EM_ARM"},
	{name: "linux-arm64", goarch: "arm64", qemu: "qemu-aarch64-static", elfMachine: "EM_AARCH64"},
	{name: "linux-amd64", goarch: "amd64", elfMachine: "EM_X86_64"},
}

// buildVersion is what the cross-built binaries report; the update test builds a second one.
const buildVersion = "v0.0.0-crosstest"

const modulePath = "github.com/stillpay/stillpay"

var (
	workDir string // holds every binary built by this package's tests
	builds  sync.Map
)

func TestMain(m *testing.M) {
	testenv.MainSkipIfShort(m, "cross-compiles posagent for every target and runs it")
	dir, err := os.MkdirTemp("", "stillpay-crosstest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// goBuild builds pkg once per (key) with the environment and flags of `make cross`.
func goBuild(t testing.TB, key, pkg, goarch, goarm, version string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(key, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() {
		out := filepath.Join(workDir, key, filepath.Base(pkg))
		ldflags := fmt.Sprintf("-s -w -X %s/terminal/cli.version=%s -X %s/terminal/cli.commit=crosstest", modulePath, version, modulePath)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./"+pkg)
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOARM="+goarm, "GOFLAGS=-buildvcs=false")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s for %s: %v\n%s", pkg, key, err, msg)
			return
		}
		b.path = out
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// posagentFor returns the cross-built posagent of tg.
func posagentFor(t testing.TB, tg target) string {
	return goBuild(t, tg.name, "cmd/posagent", tg.goarch, tg.goarm, buildVersion)
}

// nativeTools builds settlementd and wallet for this machine into one directory.
func nativeTools(t testing.TB) (settlementd, wallet string) {
	return goBuild(t, "native-settlementd", "cmd/settlementd", "amd64", "", buildVersion),
		goBuild(t, "native-wallet", "cmd/wallet", "amd64", "", buildVersion)
}

// run runs a command and returns its combined output.
func run(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := run(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}
