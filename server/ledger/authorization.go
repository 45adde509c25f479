package ledger

import (
	"crypto/ed25519"
	"fmt"
	"math"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// Bounds on what an authorization record carries.
const (
	maxSealedSecret = 256
	maxCredential   = 4096
	maxKeyID        = 64
)

// PrepareAuthorization checks a new authorization and fills in what the store computes: the hold
// amount, the hold account id, normalised times and zeroed counters.
func PrepareAuthorization(a store.Authorization) (store.Authorization, error) {
	a.CreatedAt = Now(a.CreatedAt)
	if err := ValidID("authorization_id", a.ID); err != nil {
		return a, err
	}
	if err := ValidID("user_id", a.UserID); err != nil {
		return a, err
	}
	if err := ValidID("account_id", a.AccountID); err != nil {
		return a, err
	}
	if err := ValidCurrency(a.Currency); err != nil {
		return a, err
	}
	switch {
	case a.CapPerPayment <= 0:
		return a, fmt.Errorf("%w: cap per payment must be positive", store.ErrInvalidArgument)
	case a.MaxCodes <= 0:
		return a, fmt.Errorf("%w: max codes must be positive", store.ErrInvalidArgument)
	case a.CapPerPayment > math.MaxInt64/int64(a.MaxCodes):
		return a, fmt.Errorf("%w: cap × codes overflows", store.ErrInvalidArgument)
	case len(a.DevicePublicKey) != ed25519.PublicKeySize:
		return a, fmt.Errorf("%w: device public key must be %d bytes", store.ErrInvalidArgument, ed25519.PublicKeySize)
	case len(a.SealedSecret) == 0 || len(a.SealedSecret) > maxSealedSecret:
		return a, fmt.Errorf("%w: sealed secret must be 1..%d bytes", store.ErrInvalidArgument, maxSealedSecret)
	case len(a.Credential) > maxCredential:
		return a, fmt.Errorf("%w: credential over %d bytes", store.ErrInvalidArgument, maxCredential)
	case len(a.KeyID) > maxKeyID:
		return a, fmt.Errorf("%w: key id over %d bytes", store.ErrInvalidArgument, maxKeyID)
	case a.ExpiresAt.IsZero():
		return a, fmt.Errorf("%w: authorization without expiry", store.ErrInvalidArgument)
	}
	a.HoldMinor = a.CapPerPayment * int64(a.MaxCodes)
	a.HoldAccountID = store.HoldAccountID(a.ID)
	a.CreatedAt = Norm(a.CreatedAt)
	a.ExpiresAt = Norm(a.ExpiresAt)
	a.RevokedAt, a.HoldClosedAt = Norm(a.RevokedAt), Norm(a.HoldClosedAt)
	a.UsedCodes, a.ReplayedCodes, a.ReleasedMinor = 0, 0, 0
	if !a.CreatedAt.Before(a.ExpiresAt) {
		return a, fmt.Errorf("%w: authorization expires before it is created", store.ErrInvalidArgument)
	}
	return a, nil
}

// CheckFunding checks that account can fund authorization a's hold.
func CheckFunding(a store.Authorization, account store.Account) error {
	switch {
	case account.Kind != store.AccountCustomer:
		return fmt.Errorf("%w: account %s is a %s account", store.ErrInvalidArgument, account.ID, account.Kind)
	case account.OwnerID != a.UserID:
		return fmt.Errorf("%w: account %s", store.ErrNotOwner, account.ID)
	case account.Currency != a.Currency:
		return fmt.Errorf("%w: account %s is in %s, the authorization in %s", store.ErrCurrencyMismatch, account.ID, account.Currency, a.Currency)
	case account.Balance < a.HoldMinor:
		return fmt.Errorf("%w: account %s has %d, the hold needs %d", store.ErrInsufficientFunds, account.ID, account.Balance, a.HoldMinor)
	}
	return nil
}

// HoldEntry is the journal entry placing a's hold.
func HoldEntry(a store.Authorization) *store.Entry {
	return &store.Entry{Kind: store.EntryHold, Currency: a.Currency, Ref: a.ID, At: a.CreatedAt,
		Legs: []store.Leg{{AccountID: a.AccountID, Delta: -a.HoldMinor}, {AccountID: a.HoldAccountID, Delta: a.HoldMinor}}}
}

// ClosesAt is when an authorization stops: its expiry, or its revocation if earlier.
func ClosesAt(a store.Authorization) time.Time {
	if !a.RevokedAt.IsZero() && a.RevokedAt.Before(a.ExpiresAt) {
		return a.RevokedAt
	}
	return a.ExpiresAt
}

// ReleaseEntry is the journal entry returning the rest of a's hold (holdBalance) to the customer, or
// nil when nothing is left.
func ReleaseEntry(a store.Authorization, holdBalance int64, at time.Time) *store.Entry {
	if holdBalance <= 0 {
		return nil
	}
	return &store.Entry{Kind: store.EntryRelease, Currency: a.Currency, Ref: a.ID, At: Norm(at),
		Legs: []store.Leg{{AccountID: a.HoldAccountID, Delta: -holdBalance}, {AccountID: a.AccountID, Delta: holdBalance}}}
}
