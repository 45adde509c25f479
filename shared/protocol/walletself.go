package protocol

import (
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

// The wallet's own views (docs/api.md, "Wallet endpoints"), used by the web wallet: its accounts with
// their balances, and revoking its own authorization. Both take the session token.
const (
	PathWalletAccounts = "/v1/accounts" // GET: the session user's funding accounts and balances
	// PathAuthorizationPrefix + {id} + "/revoke": POST, the user revokes one of their authorizations.
	PathAuthorizationPrefix = "/v1/authorizations/"
)

// WalletAccount is one of the user's funding accounts.
type WalletAccount struct {
	AccountID string       `json:"account_id"`
	Balance   money.Amount `json:"balance"`
}

// WalletAccounts answers GET /v1/accounts.
type WalletAccounts struct {
	UserID   string          `json:"user_id"`
	Accounts []WalletAccount `json:"accounts"`
}

// AuthorizationRevoked answers POST /v1/authorizations/{id}/revoke. Revoking twice keeps the first time.
type AuthorizationRevoked struct {
	AuthorizationID string    `json:"authorization_id"`
	RevokedAt       time.Time `json:"revoked_at"`
}
