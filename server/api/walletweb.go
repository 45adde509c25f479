package api

import (
	"net/http"

	"github.com/stillpay/stillpay/server/webwallet"
	"github.com/stillpay/stillpay/shared/protocol"
)

// walletWebRoutes are the web wallet's app (GET /wallet/, server/webwallet) and the two wallet
// endpoints it needs beside login and authorize: its accounts' balances and revoking its own
// authorization (docs/api.md, "Wallet endpoints").
func (s *Server) walletWebRoutes() []route {
	app := webwallet.Handler()
	return []route{
		{"GET " + protocol.PathWalletAccounts, "wallet_accounts", s.walletAccounts},
		{"POST " + protocol.PathAuthorizationPrefix + "{id}/revoke", "authorization_revoke", s.revokeOwnAuthorization},
		{"GET " + webwallet.Prefix, "wallet_app", app.ServeHTTP},
		{"GET " + webwallet.Prefix[:len(webwallet.Prefix)-1], "wallet_app", app.ServeHTTP},
	}
}

func (s *Server) walletAccounts(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.WalletAccounts(r.Context(), bearer(r))
	s.answer(w, r, out, err)
}

func (s *Server) revokeOwnAuthorization(w http.ResponseWriter, r *http.Request) {
	var empty struct{}
	if r.ContentLength != 0 && !s.decode(w, r, protocol.MaxBodyBytes, &empty) {
		return
	}
	out, err := s.svc.RevokeOwnAuthorization(r.Context(), bearer(r), r.PathValue("id"))
	s.answer(w, r, out, err)
}
