package payload

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
)

// VerifyOffline runs every check a terminal can make without the server: the payload's version is
// current (ErrRetired for SP1), the credential's signature
// (with the server keys lookup knows) and validity at now, the device signature, the counter against
// the credential's MaxCodes, the code's time step against now (otp.ErrCodeExpired), and the amount
// against the credential's currency and cap. The one-time code itself needs the secret, which only
// the server has, and so does the MAC; the terminal's floor limit and seen-code list are the
// terminal's own checks.
func (p *Payload) VerifyOffline(lookup func(keyID string) (ed25519.PublicKey, bool), amount money.Amount, now time.Time) error {
	if err := p.CheckCurrent(); err != nil {
		return err
	}
	if err := p.Credential.Verify(lookup, now); err != nil {
		return err
	}
	if err := p.VerifyDevice(); err != nil {
		return err
	}
	if err := p.CheckLimits(amount); err != nil {
		return err
	}
	return otp.CheckStep(p.Step, now)
}

// CheckLimits checks the counter and the amount against the credential: ErrCounterExceeded,
// ErrAmount (not positive, or an unknown currency), ErrCurrencyMismatch and ErrOverCap. The server
// runs it online too, so both decline alike.
func (p *Payload) CheckLimits(amount money.Amount) error {
	if p.Counter >= p.Credential.MaxCodes {
		return fmt.Errorf("%w: counter %d, credential allows %d codes", ErrCounterExceeded, p.Counter, p.Credential.MaxCodes)
	}
	if err := amount.Validate(money.ParseOptions{}); err != nil {
		return fmt.Errorf("%w: %w", ErrAmount, err)
	}
	if amount.Currency != p.Credential.Currency {
		return fmt.Errorf("%w: %s, credential is in %s", ErrCurrencyMismatch, amount.Currency, p.Credential.Currency)
	}
	if amount.Minor > p.Credential.CapPerPayment {
		limit := money.Amount{Minor: p.Credential.CapPerPayment, Currency: p.Credential.Currency}
		return fmt.Errorf("%w: %s over %s", ErrOverCap, amount, limit)
	}
	return nil
}

// Masked is the customer as a receipt may show it: the user id with its middle hidden. Ids of 8 or
// more characters keep two at each end ("alice@shop.example" → "al***le"), 4 to 7 keep one ("alice"
// → "a***e"), shorter ones show nothing but "***". Ids are printable ASCII (the credential ensures it).
func (p *Payload) Masked() string {
	return Mask(p.UserID)
}

// Mask is Masked for a bare user id, for code that has no parsed payload.
func Mask(userID string) string {
	keep := 0
	switch {
	case len(userID) >= 8:
		keep = 2
	case len(userID) >= 4:
		keep = 1
	}
	return userID[:keep] + "***" + userID[len(userID)-keep:]
}
