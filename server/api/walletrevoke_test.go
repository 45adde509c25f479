package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet"
)

// TestWalletRevokeAndLogout drives the wallet package (what `wallet revoke` and `wallet logout` run)
// against the real handlers: after revoke the server refuses a code made before it online, the
// wallet shows no code and says so, and after logout a call that needs the session says "not logged
// in" while the stored authorization stays.
func TestWalletRevokeAndLogout(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		sh := s.newShop()
		if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice-r", UserID: "alice", OpeningBalance: eur(10000)}); err != nil {
			t.Fatal(err)
		}
		w := wallet.New(wallet.Config{Store: &wallet.MemStore{}, HTTPClient: s.srv.Client(), Clock: s.clock})
		if _, err := w.Login(ctx, s.srv.URL, "alice", "correct horse"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Authorize(ctx, wallet.AuthorizeOptions{AccountID: "acc-alice-r", CapPerPayment: eur(1000), Codes: 5, TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		before, err := w.NextCode()
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.Revoke(ctx)
		if err != nil || r.RevokedAt.IsZero() {
			t.Fatalf("revoke: %+v %v", r, err)
		}
		if _, err := w.NextCode(); !errors.Is(err, wallet.ErrAuthorizationRevoked) {
			t.Fatalf("a code after revoke: %v, want ErrAuthorizationRevoked", err)
		}
		if st, err := w.Status(); err != nil || !st.Revoked || st.CodesLeft != 0 {
			t.Fatalf("status after revoke: %+v %v", st, err)
		}
		ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "rv1", Amount: eur(500), Payload: before.Text})
		if err != nil {
			t.Fatal(err)
		}
		var tr protocol.TransactionResponse
		if err := ans.Decode(&tr); err != nil || ans.Status != http.StatusPaymentRequired || tr.Code != protocol.CodeCredentialRevoked {
			t.Fatalf("online payment with a code of the revoked authorization: %d %+v %v, want 402 %s", ans.Status, tr, err, protocol.CodeCredentialRevoked)
		}
		// Revoking again asks the server, which keeps the first time.
		if again, err := w.Revoke(ctx); err != nil || !again.RevokedAt.Equal(r.RevokedAt) {
			t.Fatalf("second revoke: %+v %v, want the first time %s", again, err, r.RevokedAt)
		}

		if err := w.Logout(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Revoke(ctx); !errors.Is(err, wallet.ErrNotLoggedIn) {
			t.Fatalf("revoke after logout: %v, want ErrNotLoggedIn", err)
		}
		if st, err := w.Status(); err != nil || st.AuthorizationID == "" {
			t.Fatalf("logout dropped the authorization: %+v %v", st, err)
		}
		if err := w.Logout(); err != nil {
			t.Fatalf("a second logout: %v", err)
		}
	})
}
