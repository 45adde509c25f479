package wallet

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
)

// Code is one payment code, ready to show.
type Code struct {
	Text       string    // the QR payload text
	Counter    uint32    // this code's counter
	Step       uint64    // its time step
	ValidUntil time.Time // a verifier on time accepts it until then (the end of step+MaxSkewSteps)
	CodesLeft  uint32    // after this one
}

// NextCode makes the next payment code. It never touches the network. The counter moves forward
// and is stored durably before the code is made, so a code is never shown twice, even if the
// process dies right after; if the store cannot save, there is no code.
func (w *Wallet) NextCode() (Code, error) { return w.nextCode(nil) }

// NextCodeWithOffer is NextCode with a held offer (by offer or message id, see Offer) in the
// payload's offer field (payload v2, docs/protocol.md section 6). The offer is checked before a
// counter is spent: it must parse and still be valid.
func (w *Wallet) NextCodeWithOffer(offerID string) (Code, error) {
	o, err := w.Offer(offerID)
	if err != nil {
		return Code{}, err
	}
	tok, err := offer.Parse(o.Token)
	if err != nil {
		return Code{}, fmt.Errorf("%w: offer %s: %w", ErrCorruptState, offerID, err)
	}
	if now := w.clock.Now(); !now.Before(tok.ValidUntil) || now.Before(tok.ValidFrom) {
		return Code{}, fmt.Errorf("%w: offer %s is valid %s .. %s", ErrOfferExpired, offerID,
			tok.ValidFrom.Format(time.RFC3339), tok.ValidUntil.Format(time.RFC3339))
	}
	return w.nextCode(o.Token)
}

func (w *Wallet) nextCode(offerToken []byte) (Code, error) {
	// Look before DeviceKey, which would create a key (and the home) for a wallet never authorized.
	if _, err := w.store.LoadAuthorization(); err != nil {
		return Code{}, err
	}
	key, err := w.store.DeviceKey()
	if err != nil {
		return Code{}, err
	}
	now := w.clock.Now()
	var a Authorization
	var counter uint32
	err = w.store.UpdateAuthorization(func(cur *Authorization) error {
		if err := checkCanSpend(cur, key, now); err != nil {
			return err
		}
		counter = cur.NextCounter
		cur.NextCounter++
		a = *cur
		return nil
	})
	if err != nil {
		return Code{}, err
	}

	step := otp.StepAt(now)
	text, err := payload.Build(payload.Spec{Credential: a.Credential, Secret: a.Secret, Counter: counter, Step: step,
		Code: otp.PaymentCode(a.Secret, step, counter), DeviceKey: key, Offer: offerToken})
	if err != nil {
		return Code{}, fmt.Errorf("wallet: build payload: %w", err)
	}
	w.log.Debug("code made", "authorization", a.AuthorizationID, "counter", counter, "step", step)
	return Code{
		Text:       text,
		Counter:    counter,
		Step:       step,
		ValidUntil: otp.StepStart(step + otp.MaxSkewSteps + 1),
		CodesLeft:  a.MaxCodes - a.NextCounter,
	}, nil
}

// checkCanSpend checks everything Build needs before a counter is spent on it.
func checkCanSpend(a *Authorization, key ed25519.PrivateKey, now time.Time) error {
	if a.AuthorizationID == "" {
		return ErrNotAuthorized
	}
	if !a.RevokedAt.IsZero() {
		return fmt.Errorf("%w at %s", ErrAuthorizationRevoked, a.RevokedAt.Format(time.RFC3339))
	}
	if !now.Before(a.ExpiresAt) {
		return fmt.Errorf("%w: at %s", ErrAuthorizationExpired, a.ExpiresAt.Format(time.RFC3339))
	}
	if a.NextCounter >= a.MaxCodes {
		return fmt.Errorf("%w: all %d used", ErrNoCodesLeft, a.MaxCodes)
	}
	cred, err := credential.Parse(a.Credential)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptState, err)
	}
	if !cred.DevicePublicKey.Equal(key.Public().(ed25519.PublicKey)) {
		return fmt.Errorf("%w: the device key is not the one the credential names", ErrCorruptState)
	}
	if len(a.Secret) < otp.MinSecretSize || a.NextCounter >= cred.MaxCodes {
		return fmt.Errorf("%w: secret or counter does not fit the credential", ErrCorruptState)
	}
	return nil
}
