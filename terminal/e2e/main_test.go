// Package e2e tests posagent as a cashier and a technician meet it: the real posagent, settlementd
// and wallet binaries, the simulated pty scanner and printer, a real settlementd on loopback.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/internal/testenv"
)

var binDir string

func TestMain(m *testing.M) {
	testenv.MainSkipIfShort(m, "builds and starts the real settlementd, posagent and wallet binaries")
	dir, err := os.MkdirTemp("", "posagent-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build", "-o", dir+"/", "github.com/stillpay/stillpay/cmd/settlementd",
		"github.com/stillpay/stillpay/cmd/posagent", "github.com/stillpay/stillpay/cmd/wallet")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the binaries failed:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newLab starts a provisioned system; posagent is started too.
func newLab(t *testing.T) *demo.Lab {
	t.Helper()
	ctx := context.Background()
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "1000.00"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	return lab
}
