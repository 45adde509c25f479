package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/webwallet"
)

// TestDemoKeepLeavesTheWebWalletUsable runs the whole `make demo` story with DemoOptions.Keep: when
// it says the system is ready, the web wallet URL it printed serves the app, and the customer it
// names can log in there with the password file it names and see the account; Ctrl-C (the context)
// ends the demo without an error and the server with it.
func TestDemoKeepLeavesTheWebWalletUsable(t *testing.T) {
	testenv.SkipIfShort(t, "builds the real binaries and runs the whole demo story")
	bin := t.TempDir()
	if err := BuildBinaries(context.Background(), bin); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Demo(ctx, bin, t.TempDir(), pw, DemoOptions{Keep: true})
		pw.Close()
		done <- err
	}()

	var output strings.Builder
	var walletURL, passwordFile string
	sc := bufio.NewScanner(pr)
	ready := false
	for !ready && sc.Scan() {
		line := sc.Text()
		output.WriteString(line + "\n")
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "web wallet "); ok && strings.Contains(rest, "password in ") {
			walletURL = strings.Fields(rest)[0]
			passwordFile = strings.TrimSuffix(rest[strings.Index(rest, "password in ")+len("password in "):], ")")
		}
		ready = strings.TrimSpace(line) == KeepReadyLine
	}
	go io.Copy(io.Discard, pr) // the demo writes one more line when it stops
	if !ready {
		t.Fatalf("the demo ended without saying it keeps running (%v):\n%s", <-done, output.String())
	}
	if walletURL == "" || !strings.HasSuffix(walletURL, webwallet.Prefix) {
		t.Fatalf("no web wallet URL with the login in the output:\n%s", output.String())
	}

	resp, err := http.Get(walletURL)
	if err != nil {
		t.Fatalf("the printed web wallet URL does not answer while the demo keeps running: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != webwallet.CSP || !strings.Contains(string(page), "app.js") {
		t.Fatalf("GET %s: HTTP %d, CSP %q, %d bytes", walletURL, resp.StatusCode, resp.Header.Get("Content-Security-Policy"), len(page))
	}

	// The app's own first two calls, with the login the demo printed.
	password, err := os.ReadFile(passwordFile)
	if err != nil {
		t.Fatalf("the password file the demo names: %v", err)
	}
	base := strings.TrimSuffix(walletURL, webwallet.Prefix)
	body, _ := json.Marshal(map[string]string{"user_id": UserID, "password": strings.TrimSpace(string(password))})
	resp, err = http.Post(base+"/v1/sessions", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var sess struct {
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || err != nil || sess.Token == "" {
		t.Fatalf("logging in as the demo's customer: HTTP %d, %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("GET", base+"/v1/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	accounts, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(accounts), AccountID) {
		t.Fatalf("GET /v1/accounts: HTTP %d %s", resp.StatusCode, accounts)
	}

	stop()
	if err := <-done; err != nil {
		t.Fatalf("the demo ended with %v after Ctrl-C", err)
	}
	if resp, err := http.Get(walletURL); err == nil {
		resp.Body.Close()
		t.Fatalf("settlementd still answers after the demo stopped: HTTP %d", resp.StatusCode)
	}
}
