package e2e

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
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/tlsca"
	"github.com/stillpay/stillpay/shared/tlsca/tlscatest"
)

// trustMessage is what every client says when the server's certificate is of an unknown CA.
const trustMessage = "certificate signed by an unknown authority — pass --ca-file"

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// runBin runs one of the built binaries and returns its combined output and error.
func runBin(t *testing.T, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustRun is runBin that fails the test on an error.
func mustRun(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	out, err := runBin(t, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// wantTrustFailure runs a client without the CA file and checks it says so, not "unreachable".
func wantTrustFailure(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := runBin(t, "", name, args...)
	if err == nil || !strings.Contains(out, trustMessage) {
		t.Errorf("%s %s without --ca-file: %v\n%s\nwant a failure saying %q", name, strings.Join(args, " "), err, out, trustMessage)
	}
}

// startBackground starts a long-running binary, stopped at the end of the test.
func startBackground(t *testing.T, logPath, name string, args ...string) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
}

// waitUntil polls ok until it passes or a generous deadline (a failure guard only) ends.
func waitUntil(t *testing.T, what string, ok func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := ok()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// box is one POS box: its own directory, config and local API.
type box struct {
	dir, config string
}

func newBox(t *testing.T, name, serverURL, caFile string) box {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b := box{dir: dir, config: filepath.Join(dir, "posagent.yaml")}
	b.writeConfig(t, serverURL, caFile)
	return b
}

// writeConfig writes the box's config; caFile "" leaves server.ca_file out.
func (b box) writeConfig(t *testing.T, serverURL, caFile string) {
	t.Helper()
	listen := freeAddr(t)
	ca := ""
	if caFile != "" {
		ca = "\n  ca_file: " + caFile
	}
	cfg := fmt.Sprintf("server:\n  url: %s%s\nscanner:\n  type: none\nprinter:\n  type: none\nlocal_api:\n  listen: %s\nforwarder:\n  interval: 200ms\n",
		serverURL, ca, listen)
	if err := os.WriteFile(b.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (b box) run(t *testing.T) {
	t.Helper()
	startBackground(t, filepath.Join(b.dir, "posagent.log"), "posagent", "run", "--config", b.config)
	waitUntil(t, "posagent to answer", func() error {
		out, err := runBin(t, "", "posagent", "status", "--config", b.config)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
}

// TestPrivateCAAndReplacedBox runs settlementd with a certificate of a CA made for the test. Every
// client — the admin CLI, posagent provision, doctor and run, the wallet — works with --ca-file
// (or server.ca_file) and, without it, says the certificate is of an unknown authority. Then the
// box is replaced: a new enrollment code for the same terminal enrolls a new box, which sells,
// and the server refuses the old box's key.
func TestPrivateCAAndReplacedBox(t *testing.T) {
	dir := t.TempDir()
	files, err := tlscatest.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	url := "https://" + addr
	data := filepath.Join(dir, "server")
	startBackground(t, filepath.Join(dir, "settlementd.log"), "settlementd", "serve", "--data", data, "--listen", addr,
		"--tls-cert", files.ServerCert, "--tls-key", files.ServerKey)
	hc, err := tlsca.HTTPClient(files.CA, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "settlementd to answer over TLS", func() error {
		resp, err := hc.Get(url + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})

	admin := func(args ...string) []string {
		return append([]string{"admin", "--server", url, "--data", data}, args...)
	}
	withCA := func(args ...string) []string { return append(admin("--ca-file", files.CA), args...) }
	wantTrustFailure(t, "settlementd", admin("merchant", "list")...)
	mustRun(t, "", "settlementd", withCA("merchant", "add", "--id", "M-1", "--name", "Corner Cafe", "--currency", "EUR")...)
	code := strings.TrimSpace(mustRun(t, "", "settlementd", withCA("terminal", "add", "--id", "T-1", "--merchant", "M-1", "--code-only")...))
	mustRun(t, "correct horse battery staple\n", "settlementd", withCA("user", "add", "--id", "alice", "--password-file", "-")...)
	mustRun(t, "", "settlementd", withCA("account", "add", "--id", "ACC-1", "--user", "alice", "--opening", "250.00")...)
	if out := mustRun(t, "", "settlementd", withCA("terminal", "list")...); !strings.Contains(out, "T-1") || !strings.Contains(out, "pending") {
		t.Errorf("terminal list:\n%s", out)
	}

	// The first box: provision and doctor say what is wrong without the CA, work with it.
	old := newBox(t, "box-1", url, "")
	wantTrustFailure(t, "posagent", "provision", "--config", old.config, "--enroll-code", code)
	mustRun(t, "", "posagent", "provision", "--config", old.config, "--enroll-code", code, "--ca-file", files.CA)
	if out, _ := runBin(t, "", "posagent", "doctor", "--config", old.config); !strings.Contains(out, trustMessage) {
		t.Errorf("doctor without the CA:\n%s\nwant %q", out, trustMessage)
	}
	if out, _ := runBin(t, "", "posagent", "doctor", "--config", old.config, "--ca-file", files.CA); !strings.Contains(out, "accepts terminal T-1") {
		t.Errorf("doctor --ca-file:\n%s\nwant the server to accept T-1", out)
	}
	old.writeConfig(t, url, files.CA) // server.ca_file, for posagent run
	old.run(t)

	// The customer.
	home := filepath.Join(dir, "phone")
	login := []string{"--home", home, "login", "--server", url, "--user", "alice", "--password-file", "-"}
	if out, err := runBin(t, "correct horse battery staple\n", "wallet", login...); err == nil || !strings.Contains(out, trustMessage) {
		t.Errorf("wallet login without --ca-file: %v\n%s\nwant %q", err, out, trustMessage)
	}
	mustRun(t, "correct horse battery staple\n", "wallet", append([]string{"--ca-file", files.CA}, login...)...)
	mustRun(t, "", "wallet", "--home", home, "--ca-file", files.CA, "authorize", "--account", "ACC-1", "--cap", "20.00", "--currency", "EUR", "--codes", "5", "--ttl", "24h")
	sell := func(b box, amount string) string {
		t.Helper()
		payCode := strings.TrimSpace(mustRun(t, "", "wallet", "--home", home, "code", "--raw"))
		return mustRun(t, "", "posagent", "sale", "--config", b.config, "--amount", amount, "--code", payCode)
	}
	if out := sell(old, "4.20"); !strings.Contains(out, "APPROVED") || !strings.Contains(out, "online") {
		t.Fatalf("sale on the first box:\n%s", out)
	}

	// The box is replaced: a new code for T-1; the old code no longer enrolls anything.
	newCode := strings.TrimSpace(mustRun(t, "", "settlementd", withCA("terminal", "enroll-code", "T-1", "--code-only")...))
	if newCode == "" || newCode == code {
		t.Fatalf("enroll-code printed %q", newCode)
	}
	repl := newBox(t, "box-2", url, files.CA)
	if out, err := runBin(t, "", "posagent", "provision", "--config", repl.config, "--enroll-code", code); err == nil || !strings.Contains(out, "not valid") {
		t.Errorf("provision with the replaced code: %v\n%s\nwant it refused as not valid", err, out)
	}
	if out := mustRun(t, "", "posagent", "provision", "--config", repl.config, "--enroll-code", newCode); !strings.Contains(out, "enrolled: terminal T-1") {
		t.Fatalf("provision of the new box:\n%s", out)
	}
	repl.run(t)
	// It numbers its sales above the old box's (whose T-1-000000001 the server holds): no id repeats.
	if out := sell(repl, "3.10"); !strings.Contains(out, "APPROVED") || !strings.Contains(out, "online") || !strings.Contains(out, "T-1-001000002") {
		t.Fatalf("sale on the new box:\n%s\nwant APPROVED online as T-1-001000002", out)
	}
	// The old key is refused from now on.
	if out, _ := runBin(t, "", "posagent", "doctor", "--config", old.config); !strings.Contains(out, "no longer accepted") {
		t.Errorf("doctor on the old box after the replacement:\n%s\nwant its key refused", out)
	}
	out := mustRun(t, "", "settlementd", withCA("transactions", "--terminal", "T-1")...)
	if !strings.Contains(out, "4.20 EUR") || !strings.Contains(out, "3.10 EUR") {
		t.Errorf("transactions of T-1:\n%s\nwant both sales", out)
	}
	if out := mustRun(t, "", "settlementd", withCA("check")...); !strings.Contains(out, "ledger check OK") {
		t.Errorf("check:\n%s", out)
	}
}
