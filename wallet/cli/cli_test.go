package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/wallet"
	"github.com/stillpay/stillpay/wallet/wallettest"
)

// cli runs the wallet command line in-process with the given environment.
func cli(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, Env{
		Getenv:      func(k string) string { return env[k] },
		DecodeImage: decodeImage,
	})
	return out.String(), errOut.String(), code
}

// decodeImage is what cmd/wallet wires in: hardware/imaging's still-image decoder.
func decodeImage(path string) (string, error) {
	res, err := imaging.DecodeStillFile(path)
	return res.Text, err
}

// TestCommandLine walks the commands in order against a test server: login, authorize, code (raw,
// QR and PNG), status (text and JSON), then the errors a user meets.
func TestCommandLine(t *testing.T) {
	srv := wallettest.New(t, time.Now)
	home := filepath.Join(t.TempDir(), "w")
	env := map[string]string{PasswordEnv: wallettest.Password}

	if out, errOut, code := cli(t, env, "", "--home", home, "login", "--server", srv.URL, "--user", wallettest.User); code != 0 || !strings.Contains(out, "logged in as alice") {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	if out, errOut, code := cli(t, nil, "", "--home", home, "authorize", "--account", wallettest.Account, "--cap", "20.00", "--currency", "eur", "--codes", "3", "--ttl", "1h"); code != 0 || !strings.Contains(out, "3 codes of at most 20.00 EUR, 60.00 EUR held") {
		t.Fatalf("authorize: %d %q %q", code, out, errOut)
	}

	out, errOut, code := cli(t, nil, "", "--home", home, "code", "--raw")
	if code != 0 {
		t.Fatalf("code --raw: %d %q", code, errOut)
	}
	p, err := payload.Parse(strings.TrimSuffix(out, "\n"))
	if err != nil || p.Counter != 0 {
		t.Fatalf("code --raw printed %q: %v", out, err)
	}
	if err := p.VerifyOffline(credential.KeySetFrom(srv.ServerKeys()).Lookup, eurAmount(t, "15.00"), time.Now()); err != nil {
		t.Fatalf("raw code does not verify offline: %v", err)
	}

	png := filepath.Join(t.TempDir(), "code.png")
	out, errOut, code = cli(t, nil, "", "--home", home, "code", "--png", png)
	if code != 0 || !strings.Contains(out, "code 2 of 3, 1 left") || !strings.ContainsAny(out, "▀▄█") {
		t.Fatalf("code: %d %q %q", code, out, errOut)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		t.Fatalf("PNG not written: %v", err)
	}

	out, _, code = cli(t, nil, "", "--home", home, "status")
	if code != 0 || !strings.Contains(out, "codes left       1 of 3") {
		t.Fatalf("status: %d %q", code, out)
	}
	out, _, code = cli(t, nil, "", "--home", home, "status", "--json")
	var st wallet.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.CodesLeft != 1 || st.CodesUsed != 2 {
		t.Fatalf("status --json: %d %q", code, out)
	}
	if strings.Contains(out, "secret") || strings.Contains(out, "tok-") {
		t.Fatalf("status shows a secret: %s", out)
	}

	// The last code, then none.
	if _, _, code := cli(t, nil, "", "--home", home, "code", "--raw"); code != 0 {
		t.Fatal("third code refused")
	}
	if _, errOut, code := cli(t, nil, "", "--home", home, "code"); code != 1 || !strings.Contains(errOut, "no offline codes left") {
		t.Fatalf("fourth code: %d %q", code, errOut)
	}
}

func eurAmount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s, "EUR", money.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCommandLineErrors(t *testing.T) {
	srv := wallettest.New(t, time.Now)
	home := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(wallettest.Password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		stdin   string
		args    []string
		wantErr string
	}{
		{"wrong password typed", nil, "nope\n", []string{"login", "--server", srv.URL, "--user", "alice"}, "bad_credentials"},
		{"no password at all", nil, "", []string{"login", "--server", srv.URL, "--user", "alice"}, "no password"},
		{"password file readable by others", nil, "", []string{"login", "--server", srv.URL, "--user", "alice", "--password-file", pwFile}, "chmod 600"},
		{"missing --server", nil, "", []string{"login", "--user", "alice"}, `"server" not set`},
		{"authorize before login", nil, "", []string{"authorize", "--account", "a", "--cap", "1.00"}, "not logged in"},
		{"cap with three decimals", nil, "", []string{"authorize", "--account", "a", "--cap", "1.005"}, "--cap"},
		{"code before authorize", nil, "", []string{"code"}, "no authorization"},
		{"status before authorize", nil, "", []string{"status"}, "no authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := cli(t, tt.env, tt.stdin, append([]string{"--home", home}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, tt.wantErr) || strings.Count(errOut, "wallet: wallet:") != 0 {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.wantErr)
			}
		})
	}
	// A password typed at the prompt works, and the password file works once it is private.
	if _, errOut, code := cli(t, nil, wallettest.Password+"\n", "--home", home, "login", "--server", srv.URL, "--user", "alice"); code != 0 {
		t.Fatalf("typed password: %q", errOut)
	}
	if err := os.Chmod(pwFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cli(t, nil, "", "--home", home, "login", "--server", srv.URL, "--user", "alice", "--password-file", pwFile); code != 0 {
		t.Fatalf("password file: %q", errOut)
	}
}
