package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/serverkeys"
)

// withKeyServer gives the rig a keyring that fetches offered from a real GET /v1/keys on loopback
// and saves to an identity file, wired as posagent run wires it: one keyring for approvals and
// offline checks. It returns the identity file's path.
func withKeyServer(t *testing.T, offered func(r *rig) []protocol.ServerKey, path *string) func(*rig, *Options) {
	return func(r *rig, opt *Options) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path != protocol.PathServerKeys {
				http.NotFound(w, req)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"keys": offered(r)})
		}))
		t.Cleanup(srv.Close)
		*path = filepath.Join(t.TempDir(), "identity.json")
		if err := config.SaveIdentity(*path, opt.Identity); err != nil {
			t.Fatal(err)
		}
		api := client.New(client.Options{BaseURL: srv.URL, TerminalID: "T-1", Timeout: 2 * time.Second})
		keys := serverkeys.New(serverkeys.Options{Trusted: opt.Identity.ServerKeys, Server: api,
			Save: func(k []protocol.ServerKey) error { return config.SaveServerKeys(*path, k) }})
		opt.Keys = keys
		opt.Verifier = &offline.Verifier{Keys: keys, Limits: limits, Enabled: true}
	}
}

func TestApprovalByARotatedKeyIsLearnedAndApproved(t *testing.T) {
	var rotated *paytest.Issuer
	var path string
	r := newRig(t, "approve", withKeyServer(t, func(r *rig) []protocol.ServerKey {
		return []protocol.ServerKey{r.iss.ServerKey(), rotated.ServerKey()}
	}, &path))
	rotated = r.iss.Rotate("k2")
	r.srv.signer = rotated

	v := r.sell(t, 1250, r.wallet.Code(now))
	if v.State != SaleApproved || v.Offline || v.PrintStatus != PrintPrinted {
		t.Fatalf("sale approved by the rotated key: %+v", v)
	}
	if out := r.outbox(t); len(out) != 0 {
		t.Fatalf("something was voided or queued: %+v", out)
	}
	id, err := config.LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(id.ServerKeys) != 2 || id.ServerKeys[1].KeyID != "k2" {
		t.Fatalf("identity file keys: %+v", id.ServerKeys)
	}
	if keys := r.ag.Identity().ServerKeys; len(keys) != 2 {
		t.Fatalf("the agent reports %d server keys", len(keys))
	}

	// The offline check uses the learned key too: a credential the new key signed, server down.
	r.srv.mode = "down"
	w2 := rotated.Authorize("alice", "A-2", "EUR", 5000, 5, now.Add(-time.Minute), time.Hour)
	off := r.sell(t, 800, w2.Code(now))
	if off.State != SaleApproved || !off.Offline {
		t.Fatalf("offline sale with a credential by the rotated key: %+v", off)
	}
}

// TestUnendorsedKeyFromTheServerIsNotTrusted is a key list with a key nobody endorsed, as
// someone substituting keys on the link would offer: the approval it signed is voided and the
// sale declined, as before key rotation was followed, and the key is not trusted offline either.
func TestUnendorsedKeyFromTheServerIsNotTrusted(t *testing.T) {
	stranger := paytest.Unendorsed("k2")
	var path string
	r := newRig(t, "approve", withKeyServer(t, func(r *rig) []protocol.ServerKey {
		return []protocol.ServerKey{r.iss.ServerKey(), stranger.ServerKey()}
	}, &path))
	r.srv.signer = stranger

	v := r.sell(t, 1250, r.wallet.Code(now))
	if v.State != SaleDeclined || v.Code != protocol.CodeInternal || !strings.Contains(v.Reason, "cannot trust") {
		t.Fatalf("sale with an approval by an unendorsed key: %+v", v)
	}
	if out := r.outbox(t); len(out) != 1 || out[0].Kind != protocol.KindVoid || out[0].TargetTxnID != v.ID {
		t.Fatalf("want a void of %s, outbox %+v", v.ID, out)
	}
	id, err := config.LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(id.ServerKeys) != 1 || id.ServerKeys[0].KeyID != r.iss.KeyID {
		t.Fatalf("identity file keys: %+v", id.ServerKeys)
	}

	r.srv.mode = "down"
	w2 := stranger.Authorize("alice", "A-2", "EUR", 5000, 5, now.Add(-time.Minute), time.Hour)
	off := r.sell(t, 800, w2.Code(now))
	if off.State != SaleDeclined || off.Code != protocol.CodeCredentialInvalid {
		t.Fatalf("offline sale with a credential by the unendorsed key: %+v", off)
	}
}
