package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// WalletAccounts lists the session user's funding accounts with their balances (the web wallet
// shows the balance next to the hold an authorization will take).
func (s *Service) WalletAccounts(ctx context.Context, bearer string) (protocol.WalletAccounts, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.WalletAccounts{}, err
	}
	out := protocol.WalletAccounts{UserID: sess.UserID, Accounts: []protocol.WalletAccount{}}
	p := store.Page{Limit: store.MaxPageSize}
	for {
		accts, err := s.store.ListAccounts(ctx, store.AccountFilter{OwnerID: sess.UserID, Kind: store.AccountCustomer, Page: p})
		if err != nil {
			return protocol.WalletAccounts{}, storeProblem(err, "accounts")
		}
		for _, a := range accts {
			out.Accounts = append(out.Accounts, protocol.WalletAccount{AccountID: a.ID, Balance: money.Amount{Minor: a.Balance, Currency: a.Currency}})
		}
		if len(accts) < p.Limit {
			return out, nil
		}
		p.AfterID = accts[len(accts)-1].ID
	}
}

// RevokeOwnAuthorization is the customer revoking one of their own authorizations (a lost phone, a
// wallet reset): the same as the operator's revocation, but only for the session user's
// authorizations; anyone else's, or an unknown id, is 404 not_found alike.
func (s *Service) RevokeOwnAuthorization(ctx context.Context, bearer, id string) (protocol.AuthorizationRevoked, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.AuthorizationRevoked{}, err
	}
	if err := checkID("id", id); err != nil {
		return protocol.AuthorizationRevoked{}, err
	}
	notFound := problem(http.StatusNotFound, protocol.CodeNotFound, "authorization %s not found", id)
	a, err := s.store.GetAuthorization(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.UserID != sess.UserID) {
		return protocol.AuthorizationRevoked{}, notFound
	}
	if err != nil {
		return protocol.AuthorizationRevoked{}, storeProblem(err, "authorization "+id)
	}
	a, err = s.store.RevokeAuthorization(ctx, id, s.clock.Now())
	if err != nil {
		return protocol.AuthorizationRevoked{}, storeProblem(err, "authorization "+id)
	}
	s.log.Warn("revoked by its user", "kind", "authorization", "id", id, "user", sess.UserID, "at", a.RevokedAt)
	return protocol.AuthorizationRevoked{AuthorizationID: id, RevokedAt: a.RevokedAt.UTC()}, nil
}
