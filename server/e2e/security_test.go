package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestOperatorSecurityWithTheRealBinary runs settlementd and its admin CLI as processes: the start
// warns loudly about plain HTTP; a replaced admin token file is used by the running server at once
// (the old token refused, the CLI reading the new file accepted); a bad login id is a typed 400; a
// server given a short admin token refuses to start and says the minimum.
func TestOperatorSecurityWithTheRealBinary(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	defer s.stop()
	if out := s.Output(); !strings.Contains(out, "PLAIN HTTP") || !strings.Contains(out, "WITHOUT TLS") {
		t.Fatalf("no plain-HTTP warning at start:\n%s", out)
	}
	ctx := context.Background()
	old, err := s.AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	s.admin("check")
	// Rotate the token by replacing the file; no restart.
	newTok := strings.Repeat("5e", 32)
	if err := keyfile.WriteSecret(filepath.Join(data, "admin.token"), []byte(newTok+"\n")); err != nil {
		t.Fatal(err)
	}
	_, err = (&admin.Client{BaseURL: s.URL, Token: old}).Check(ctx)
	if !errors.Is(err, &protocol.Problem{Code: protocol.CodeUnauthenticated}) {
		t.Fatalf("the old token after the file was replaced: %v", err)
	}
	s.admin("check") // the CLI reads the new file
	// A '/' in a login id: 400 invalid_field naming user_id, not a 500.
	body, _ := json.Marshal(protocol.SessionRequest{UserID: "a/b", Password: "whatever"})
	resp, err := http.Post(s.URL+protocol.PathSessions, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var p protocol.Problem
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || p.Code != protocol.CodeInvalidField || p.Field != "user_id" {
		t.Fatalf("login id with '/': %d %+v", resp.StatusCode, p)
	}
	// A short token file: the server refuses to start.
	short := filepath.Join(t.TempDir(), "short.token")
	if err := keyfile.WriteSecret(short, []byte("hunter2\n")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, bins.Path("settlementd"), "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0",
		"--admin-token-file", short).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "at least 32") {
		t.Fatalf("settlementd with a 7-character admin token: %v\n%s", err, out)
	}
	if _, err := os.Stat(short); err != nil {
		t.Fatal(err)
	}
}
