package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/terminal/agent"
)

func TestCashierCommands(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	code := mustCode(t, w)
	out, err := lab.Posagent(ctx, "sale", "--amount", "2.40", "--code", code, "--json")
	if err != nil {
		t.Fatalf("sale: %v", err)
	}
	var v struct {
		agent.SaleView
		Receipt string `json:"receipt"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.State != agent.SaleApproved || !strings.Contains(v.Receipt, "ONLINE APPROVAL") {
		t.Fatalf("sale --json: %v\n%s", err, out)
	}
	// A declined sale exits with status 2 and says why.
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "posagent"), "sale", "--amount", "1.00", "--code", "garbage", "--config", lab.AgentConfig)
	outb, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(outb), "DECLINED") {
		t.Fatalf("declined sale: %v\n%s", err, outb)
	}

	// The console: type an amount, paste a code, reprint, list, quit.
	console := exec.CommandContext(ctx, filepath.Join(binDir, "posagent"), "console", "--config", lab.AgentConfig)
	console.Stdin = strings.NewReader("3.10\n" + mustCode(t, w) + "\nr\nl\nq\n")
	outb, err = console.CombinedOutput()
	screen := string(outb)
	if err != nil || !strings.Contains(screen, "APPROVED") || !strings.Contains(screen, "reprint of") || !strings.Contains(screen, "Corner Cafe") {
		t.Fatalf("console: %v\n%s", err, screen)
	}
	if out, err := lab.Posagent(ctx, "status"); err != nil || !strings.Contains(out, "queue      0 waiting") || !strings.Contains(out, "printer    ready") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if out, err := lab.Posagent(ctx, "queue", "list", "--state", "all"); err != nil || !strings.Contains(out, v.ID) || strings.Contains(out, code[5:30]) {
		t.Fatalf("queue list (must list the sale and never show the code): %v\n%s", err, out)
	}
}
