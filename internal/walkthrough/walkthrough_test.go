package walkthrough

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/testenv"
)

// roles are the README's marked blocks, in the order the walk-through runs them.
var roles = []string{"operator", "technician", "customer", "cashier"}

var blockRE = regexp.MustCompile("(?s)<!-- walkthrough: ([a-z]+) -->\n```sh\n(.*?)```")

// readmeBlocks returns the marked shell blocks of the README by role.
func readmeBlocks(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, m := range blockRE.FindAllStringSubmatch(string(raw), -1) {
		if _, dup := blocks[m[1]]; dup {
			t.Fatalf("README: two walk-through blocks for %s", m[1])
		}
		blocks[m[1]] = m[2]
	}
	for _, r := range roles {
		if blocks[r] == "" {
			t.Fatalf("README: no <!-- walkthrough: %s --> sh block", r)
		}
	}
	return blocks
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestReadmeWalkthrough runs the README's operator → technician → customer → cashier blocks as
// written, in one shell, in an empty directory. Only the two fixed addresses are changed to free
// ports, so that parallel test runs do not collide.
func TestReadmeWalkthrough(t *testing.T) {
	testenv.SkipIfShort(t, "builds the real binaries and runs the README's walk-through")
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	blocks := readmeBlocks(t)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "github.com/stillpay/stillpay/cmd/settlementd",
		"github.com/stillpay/stillpay/cmd/posagent", "github.com/stillpay/stillpay/cmd/wallet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, r := range roles {
		fmt.Fprintf(&script, "echo '### %s'\n%s", r, blocks[r])
	}
	text := strings.NewReplacer("127.0.0.1:8080", freeAddr(t), "127.0.0.1:7070", freeAddr(t)).Replace(script.String())

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", text)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8"}
	if v := os.Getenv("GOCOVERDIR"); v != "" {
		cmd.Env = append(cmd.Env, "GOCOVERDIR="+v)
	}
	// Its own process group: the background servers it starts end with it, even on failure.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if err := cmd.Wait(); err != nil {
		logs := ""
		for _, f := range []string{"server.log", "posagent.log"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			logs += fmt.Sprintf("\n--- %s (tail)\n%s", f, tail(string(b), 3000))
		}
		t.Fatalf("the walk-through failed: %v\n%s%s", err, out.String(), logs)
	}
	got := out.String()
	t.Logf("walk-through output:\n%s", got)
	for _, want := range []string{
		"merchant M-1 (Corner Cafe) added",
		"enrolled: terminal T-1 of merchant Corner Cafe",
		"offline limits: 50.00 EUR each",
		"logged in as alice",
		"APPROVED",
		"4.20",
		"ledger check OK",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the walk-through output lacks %q", want)
		}
	}
	for _, re := range []string{`(?m)^ACC-1\s+customer\s+alice\s+65\.80 EUR$`, `(?m)^merchant:M-1\s+merchant\s+M-1\s+4\.20 EUR$`, `(?m)^hold:\S+\s+hold\s+\S+\s+180\.00 EUR$`,
		`(?m)^au_\S+\s+alice\s+ACC-1\s+20\.00 EUR\s+1/10\s+200\.00 EUR\s+180\.00 EUR\s`} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("admin balances has no line matching %s", re)
		}
	}
	receipts, _ := filepath.Glob(filepath.Join(dir, "receipts", "receipt-*.txt"))
	if len(receipts) != 1 {
		t.Fatalf("the simulated printer printed %d receipts, want 1", len(receipts))
	}
	if r, _ := os.ReadFile(receipts[0]); !strings.Contains(string(r), "4.20") {
		t.Errorf("the printed receipt lacks the amount:\n%s", r)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
