package wallet

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// Revoke revokes the stored authorization at the server (POST /v1/authorizations/{id}/revoke, the
// session's bearer token) and then, durably, forgets its secret so no code can be shown again. The
// server refuses online payments at once; offline approvals made before the revocation still settle,
// and the unused hold is released after the settlement grace (docs/api.md). Revoking an already
// revoked authorization asks the server again, which keeps the first time.
func (w *Wallet) Revoke(ctx context.Context) (protocol.AuthorizationRevoked, error) {
	a, err := w.store.LoadAuthorization()
	if err != nil {
		return protocol.AuthorizationRevoked{}, err
	}
	sess, err := w.store.LoadSession()
	if err != nil {
		return protocol.AuthorizationRevoked{}, err
	}
	if !sess.ExpiresAt.IsZero() && !w.clock.Now().Before(sess.ExpiresAt) {
		return protocol.AuthorizationRevoked{}, ErrSessionExpired
	}
	endpoint := sess.ServerURL + protocol.PathAuthorizations + "/" + url.PathEscape(a.AuthorizationID) + "/revoke"
	var resp protocol.AuthorizationRevoked
	if err := w.post(ctx, endpoint, sess.Token, struct{}{}, &resp); err != nil {
		return protocol.AuthorizationRevoked{}, err
	}
	if resp.AuthorizationID != a.AuthorizationID || resp.RevokedAt.IsZero() {
		return protocol.AuthorizationRevoked{}, fmt.Errorf("%w: revocation of %q answered for %q", ErrBadResponse, a.AuthorizationID, resp.AuthorizationID)
	}
	err = w.store.UpdateAuthorization(func(cur *Authorization) error {
		if cur.AuthorizationID != a.AuthorizationID {
			return nil // a new authorization replaced it meanwhile: keep that one
		}
		clear(cur.Secret)
		cur.Secret = nil
		if cur.RevokedAt.IsZero() {
			cur.RevokedAt = resp.RevokedAt.UTC().Truncate(time.Second)
		}
		return nil
	})
	if err != nil {
		return protocol.AuthorizationRevoked{}, err
	}
	w.log.Info("authorization revoked", "authorization", a.AuthorizationID, "at", resp.RevokedAt)
	return resp, nil
}

// Logout forgets the session token. The authorization stays: its codes are offline and need no
// session (revoke first to end them).
func (w *Wallet) Logout() error { return w.store.DeleteSession() }
