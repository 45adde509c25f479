package wallet

import (
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Session is a login: the bearer token the server gave for UserID.
type Session struct {
	ServerURL string    `json:"server_url"`
	UserID    string    `json:"user_id"`
	Token     string    `json:"token"` // a secret: never logged or printed
	ExpiresAt time.Time `json:"expires_at"`
}

// Authorization is the stored first approval and the wallet's progress through its codes.
type Authorization struct {
	ServerURL       string               `json:"server_url"`
	UserID          string               `json:"user_id"`
	AccountID       string               `json:"account_id"`
	AuthorizationID string               `json:"authorization_id"`
	Secret          []byte               `json:"secret"`     // the OTP key: a secret
	Credential      []byte               `json:"credential"` // shared/credential encoding, server-signed
	CapPerPayment   money.Amount         `json:"cap_per_payment"`
	MaxCodes        uint32               `json:"max_codes"`
	Hold            money.Amount         `json:"hold"`
	IssuedAt        time.Time            `json:"issued_at"`
	ExpiresAt       time.Time            `json:"expires_at"`
	ServerKeys      []protocol.ServerKey `json:"server_keys"`
	// NextCounter is the counter of the next code. It only ever grows; counters below it may have
	// been shown and are never used again.
	NextCounter uint32 `json:"next_counter"`
	// RevokedAt is when the customer revoked the authorization at the server (wallet revoke); from
	// then on the wallet shows no code and the secret is gone.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Status is what `wallet status` shows: limits, codes left, expiry. It holds no secret.
type Status struct {
	ServerURL       string       `json:"server_url"`
	UserID          string       `json:"user_id"`
	AccountID       string       `json:"account_id"`
	AuthorizationID string       `json:"authorization_id"`
	CapPerPayment   money.Amount `json:"cap_per_payment"`
	MaxCodes        uint32       `json:"max_codes"`
	CodesUsed       uint32       `json:"codes_used"`
	CodesLeft       uint32       `json:"codes_left"`
	Hold            money.Amount `json:"hold"`
	IssuedAt        time.Time    `json:"issued_at"`
	ExpiresAt       time.Time    `json:"expires_at"`
	Expired         bool         `json:"expired"`
	Revoked         bool         `json:"revoked,omitempty"`
}

func (a Authorization) status(now time.Time) Status {
	left := uint32(0)
	if a.NextCounter < a.MaxCodes && a.RevokedAt.IsZero() {
		left = a.MaxCodes - a.NextCounter
	}
	return Status{
		ServerURL:       a.ServerURL,
		UserID:          a.UserID,
		AccountID:       a.AccountID,
		AuthorizationID: a.AuthorizationID,
		CapPerPayment:   a.CapPerPayment,
		MaxCodes:        a.MaxCodes,
		CodesUsed:       min(a.NextCounter, a.MaxCodes),
		CodesLeft:       left,
		Hold:            a.Hold,
		IssuedAt:        a.IssuedAt,
		ExpiresAt:       a.ExpiresAt,
		Expired:         !now.Before(a.ExpiresAt),
		Revoked:         !a.RevokedAt.IsZero(),
	}
}
