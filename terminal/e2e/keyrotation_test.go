package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
)

// identityKeyIDs reads the server key ids from the terminal's identity file.
func identityKeyIDs(t *testing.T, lab *demo.Lab) []string {
	t.Helper()
	id, err := config.LoadIdentity(filepath.Join(lab.Dir, "identity.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range id.ServerKeys {
		ids = append(ids, k.KeyID)
	}
	return ids
}

func rotateKey(t *testing.T, lab *demo.Lab) string {
	t.Helper()
	out, err := lab.Admin(context.Background(), "--json", "rotate-key")
	if err != nil {
		t.Fatalf("rotate-key: %v %s", err, out)
	}
	var k protocol.ServerKey
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.KeyID == "" || k.EndorsedBy == "" {
		t.Fatalf("rotate-key answered %q (%v); want an endorsed key", out, err)
	}
	return k.KeyID
}

// credentialKey is the server key that signed the credential inside a payment code.
func credentialKey(t *testing.T, code string) string {
	t.Helper()
	p, err := payload.Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	return p.Credential.KeyID
}

// TestTerminalFollowsKeyRotation: the server rotates its signing key while the terminal runs, and
// again while it is stopped; online approvals and offline credentials signed by the new keys are
// accepted, because each new key is endorsed by the one before and the terminal saves what it
// learns.
func TestTerminalFollowsKeyRotation(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	enrolled := identityKeyIDs(t, lab)
	if len(enrolled) != 1 {
		t.Fatalf("enrolled with keys %v", enrolled)
	}
	var approved []agent.SaleView

	// Rotation while the agent runs: learned from the first approval the new key signs.
	k2 := rotateKey(t, lab)
	w, err := lab.NewWallet(ctx, "after-rotation", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	code := mustCode(t, w)
	if got := credentialKey(t, code); got != k2 {
		t.Fatalf("the credential issued after the rotation is signed by %s, want %s", got, k2)
	}
	online := mustSale(t, lab, "12.50", code)
	if online.State != agent.SaleApproved || online.Offline || online.PrintStatus != agent.PrintPrinted {
		t.Fatalf("online sale approved by the new key: %+v", online)
	}
	approved = append(approved, online)
	if ids := identityKeyIDs(t, lab); len(ids) != 2 || ids[0] != enrolled[0] || ids[1] != k2 {
		t.Fatalf("identity file lists %v, want [%s %s]", ids, enrolled[0], k2)
	}

	// The learned key survives a restart: the agent starts with the server down and approves a
	// fresh credential by the new key offline.
	w2, err := lab.NewWallet(ctx, "second", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}
	lab.StopAgent()
	lab.StopServer()
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	offline := mustSale(t, lab, "7.00", mustCode(t, w2))
	if offline.State != agent.SaleApproved || !offline.Offline {
		t.Fatalf("offline sale with a credential by the new key: %+v", offline)
	}
	approved = append(approved, offline)

	// Rotation while the agent is stopped: learned at start-up, before any online sale.
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	lab.StopAgent()
	k3 := rotateKey(t, lab)
	w3, err := lab.NewWallet(ctx, "third", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for ids := identityKeyIDs(t, lab); len(ids) != 3; ids = identityKeyIDs(t, lab) {
		if time.Now().After(deadline) {
			_, tail := lab.AgentExited()
			t.Fatalf("the agent did not learn %s at start-up; identity lists %v\n%s", k3, ids, tail)
		}
		time.Sleep(50 * time.Millisecond)
	}
	lab.StopServer()
	code3 := mustCode(t, w3)
	if got := credentialKey(t, code3); got != k3 {
		t.Fatalf("credential signed by %s, want %s", got, k3)
	}
	offline3 := mustSale(t, lab, "3.00", code3)
	if offline3.State != agent.SaleApproved || !offline3.Offline {
		t.Fatalf("offline sale with a credential by the key learned at start-up: %+v", offline3)
	}
	approved = append(approved, offline3)

	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	settledOnce(t, lab, approved)
	if ids := identityKeyIDs(t, lab); len(ids) != 3 || ids[2] != k3 {
		t.Fatalf("identity file lists %v", ids)
	}
}

// TestSubstitutedKeysAreNotTrusted puts someone between the terminal and the server who offers
// an unendorsed key of their own on GET /v1/keys and re-signs approvals with it: the terminal
// declines (and voids) the sale, keeps its identity file as it was, and declines offline a
// credential the substituted key signed.
func TestSubstitutedKeysAreNotTrusted(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	enrolled := identityKeyIDs(t, lab)
	stranger := paytest.Unendorsed("k-0000deadbeef")
	target, err := url.Parse(lab.ServerURL)
	if err != nil {
		t.Fatal(err)
	}
	var keyFetches atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != protocol.PathTransactions || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var tr protocol.TransactionResponse
		if err := json.Unmarshal(body, &tr); err == nil && tr.Approval != nil {
			forged, err := protocol.SignApproval(mustApproval(t, tr.Approval), stranger.KeyID, stranger.Key)
			if err != nil {
				return err
			}
			tr.Approval = &forged
			body, _ = json.Marshal(tr)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	mitm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != protocol.PathServerKeys {
			rp.ServeHTTP(w, r)
			return
		}
		keyFetches.Add(1)
		resp, err := http.Get(lab.ServerURL + protocol.PathServerKeys)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var real struct {
			Keys []protocol.ServerKey `json:"keys"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&real); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": append(real.Keys, stranger.ServerKey())})
	}))
	defer mitm.Close()

	lab.StopAgent()
	cfg, err := os.ReadFile(lab.AgentConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lab.AgentConfig, []byte(strings.Replace(string(cfg), lab.ServerURL, mitm.URL, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(lab.Dir, "identity.json"))
	if err != nil {
		t.Fatal(err)
	}

	w, err := lab.NewWallet(ctx, "phone", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}
	v := mustSale(t, lab, "4.00", mustCode(t, w))
	if v.State != agent.SaleDeclined || v.Code != protocol.CodeInternal {
		t.Fatalf("sale with an approval re-signed by a substituted key: %+v", v)
	}
	if keyFetches.Load() == 0 {
		t.Fatal("the terminal never asked for the server's keys, so the test proves nothing")
	}
	after, _ := os.ReadFile(filepath.Join(lab.Dir, "identity.json"))
	if !bytes.Equal(before, after) {
		t.Fatalf("the identity file changed:\n%s", after)
	}
	if ids := identityKeyIDs(t, lab); len(ids) != len(enrolled) {
		t.Fatalf("identity lists %v, enrolled with %v", ids, enrolled)
	}
	// The void of the declined sale reaches the real server through the proxy: nothing charged.
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	settledOnce(t, lab, nil)

	mitm.Close() // the terminal is offline now
	forged := stranger.Authorize(demo.UserID, "A-FORGED", "EUR", 5000, 5, time.Now().Add(-time.Minute), time.Hour)
	off := mustSale(t, lab, "2.00", forged.Code(time.Now()))
	if off.State != agent.SaleDeclined || off.Code != protocol.CodeCredentialInvalid {
		t.Fatalf("offline sale with a credential by the substituted key: %+v", off)
	}
}

func mustApproval(t *testing.T, sa *protocol.SignedApproval) protocol.Approval {
	var a protocol.Approval
	if err := json.Unmarshal(sa.Approval, &a); err != nil {
		t.Error(err)
	}
	return a
}
