package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/stillpay/stillpay/server/admin"
)

// Admin runs `settlementd admin --json ARGS` against the process and returns its stdout, which holds
// the JSON answer even when the command fails (admin check prints its report and exits non-zero).
func (p *Process) Admin(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"admin", "--server", p.URL, "--data", p.Data, "--json"}, args...)
	cmd := exec.CommandContext(ctx, p.Binary, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%w: %s: %v: %s", ErrAdmin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// AdminJSON runs an admin command and decodes its JSON answer into v.
func (p *Process) AdminJSON(ctx context.Context, v any, args ...string) error {
	out, err := p.Admin(ctx, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("%w: %s: %v: %s", ErrAdmin, strings.Join(args, " "), err, out)
	}
	return nil
}

// maxAccounts is how many accounts Balances lists; the workloads open far fewer.
const maxAccounts = "1000"

// Balances returns every account's balance in minor units, as this process reports it.
func (p *Process) Balances(ctx context.Context) (map[string]int64, error) {
	var b admin.Balances
	if err := p.AdminJSON(ctx, &b, "balances", "--limit", maxAccounts); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(b.Accounts))
	for _, a := range b.Accounts {
		out[a.AccountID] = a.Balance.Minor
	}
	return out, nil
}

// Check runs `settlementd admin check`; the error wraps ErrCheckFailed unless the ledger is consistent.
func (p *Process) Check(ctx context.Context) (admin.CheckReport, error) {
	var r admin.CheckReport
	out, err := p.Admin(ctx, "check")
	if jerr := json.Unmarshal(out, &r); jerr != nil || err != nil || !r.OK {
		return r, fmt.Errorf("%w on %s: %v %v %s", ErrCheckFailed, p.Name, err, jerr, out)
	}
	return r, nil
}

// AdminToken reads the admin API token settlementd wrote to its data directory.
func (p *Process) AdminToken() (string, error) {
	return admin.LoadToken(filepath.Join(p.Data, "admin.token"))
}

// AdminClient is an admin API client for this process.
func (p *Process) AdminClient(c *http.Client) (*admin.Client, error) {
	tok, err := p.AdminToken()
	if err != nil {
		return nil, err
	}
	return &admin.Client{BaseURL: p.URL, Token: tok, HTTP: c}, nil
}

// CheckBalancesOn runs book.CheckBalances on the balances every process reports.
func CheckBalancesOn(ctx context.Context, book *Book, procs ...*Process) error {
	for _, p := range procs {
		bal, err := p.Balances(ctx)
		if err != nil {
			return err
		}
		if err := book.CheckBalances(bal); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	return nil
}
