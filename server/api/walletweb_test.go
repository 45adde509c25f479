package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/protocol"
)

func call(t *testing.T, s *stack, method, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// The web wallet's endpoints: its own accounts and balances, revoking its own authorization (and
// nobody else's), and the app itself under /wallet/ with its CSP.
func TestWalletWebEndpoints(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	shop := s.newShop()
	if _, err := s.admin.AddUser(ctx, admin.UserRequest{UserID: "mallory", Password: "mallory password"}); err != nil {
		t.Fatal(err)
	}
	alice, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "mallory", "mallory password")
	if err != nil {
		t.Fatal(err)
	}

	var accts protocol.WalletAccounts
	if code := call(t, s, "GET", protocol.PathWalletAccounts, alice, &accts); code != 200 {
		t.Fatalf("accounts: %d", code)
	}
	// 100.00 opening, 100.00 held by the shop's authorization.
	if len(accts.Accounts) != 1 || accts.Accounts[0].AccountID != shop.acct || accts.Accounts[0].Balance != eur(0) {
		t.Fatalf("accounts = %+v", accts)
	}
	if code := call(t, s, "GET", protocol.PathWalletAccounts, "", nil); code != 401 {
		t.Fatalf("accounts without a session: %d, want 401", code)
	}
	if code := call(t, s, "GET", protocol.PathWalletAccounts, mallory, &accts); code != 200 || len(accts.Accounts) != 0 {
		t.Fatalf("mallory sees %+v (%d)", accts, code)
	}

	revoke := protocol.PathAuthorizationPrefix + shop.wallet.Auth.AuthorizationID + "/revoke"
	if code := call(t, s, "POST", revoke, mallory, nil); code != 404 {
		t.Fatalf("mallory revoking alice's authorization: %d, want 404", code)
	}
	var rv protocol.AuthorizationRevoked
	if code := call(t, s, "POST", revoke, alice, &rv); code != 200 || rv.RevokedAt.IsZero() {
		t.Fatalf("revoke: %d %+v", code, rv)
	}
	a, err := s.store.GetAuthorization(ctx, shop.wallet.Auth.AuthorizationID)
	if err != nil || a.RevokedAt.IsZero() {
		t.Fatalf("stored authorization not revoked: %+v %v", a, err)
	}
	if code := call(t, s, "POST", protocol.PathAuthorizationPrefix+"au_nope/revoke", alice, nil); code != 404 {
		t.Fatalf("unknown authorization: %d", code)
	}

	req, _ := http.NewRequest("GET", s.srv.URL+webwallet.Prefix, nil)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != webwallet.CSP {
		t.Fatalf("GET /wallet/: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}
