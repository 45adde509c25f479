// Package paytest makes real, signed payment payloads for the terminal's tests: a server key, a
// credential signed by it and a wallet device key, as settlementd and the wallet would make them.
package paytest

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Issuer plays the server's part: it signs credentials.
type Issuer struct {
	KeyID string
	Key   ed25519.PrivateKey
	// Endorsed is the public key with the endorsement Rotate gave it; zero for NewIssuer's key.
	Endorsed protocol.ServerKey
}

// NewIssuer makes a fresh server key.
func NewIssuer() *Issuer {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	return &Issuer{KeyID: "k1", Key: priv}
}

// ServerKeys is what enrollment gives the terminal.
func (i *Issuer) ServerKeys() []protocol.ServerKey {
	return []protocol.ServerKey{i.ServerKey()}
}

// ServerKey is the issuer's public key as GET /v1/keys lists it: endorsed if Rotate made it.
func (i *Issuer) ServerKey() protocol.ServerKey {
	if i.Endorsed.KeyID != "" {
		return i.Endorsed
	}
	return protocol.ServerKey{KeyID: i.KeyID, PublicKey: i.Key.Public().(ed25519.PublicKey), Current: true}
}

// Rotate makes the server's next key, keyID, endorsed by i's key as settlementd's rotation does.
func (i *Issuer) Rotate(keyID string) *Issuer {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	k := protocol.ServerKey{KeyID: keyID, PublicKey: priv.Public().(ed25519.PublicKey), Created: time.Now().UTC().Truncate(time.Second), Current: true}
	return &Issuer{KeyID: keyID, Key: priv, Endorsed: protocol.EndorseKey(k, i.KeyID, i.Key)}
}

// Unendorsed makes a key nobody endorsed: what someone substituting keys on the link would offer.
func Unendorsed(keyID string) *Issuer {
	i := NewIssuer()
	i.KeyID = keyID
	return i
}

// Wallet is one authorization on a phone: its credential and device key.
type Wallet struct {
	Cred      credential.Credential
	CredBytes []byte
	Device    ed25519.PrivateKey
	Secret    []byte // keys the payload's MAC; a terminal never sees it, only the server checks it
	next      uint32
}

// Authorize issues a credential for user valid from issued for ttl.
func (i *Issuer) Authorize(user, authID, currency string, capMinor int64, maxCodes uint32, issued time.Time, ttl time.Duration) *Wallet {
	_, dev, _ := ed25519.GenerateKey(rand.Reader)
	c, err := credential.Sign(credential.Credential{
		UserID: user, AuthorizationID: authID, DevicePublicKey: dev.Public().(ed25519.PublicKey),
		Currency: currency, CapPerPayment: capMinor, MaxCodes: maxCodes,
		IssuedAt: issued, ExpiresAt: issued.Add(ttl),
	}, i.KeyID, i.Key)
	if err != nil {
		panic(fmt.Sprintf("paytest: sign credential: %v", err))
	}
	secret := make([]byte, otp.SecretSize)
	if _, err := rand.Read(secret); err != nil {
		panic(fmt.Sprintf("paytest: secret: %v", err))
	}
	return &Wallet{Cred: c, CredBytes: c.Marshal(), Device: dev, Secret: secret}
}

// Code returns the next payload text, for the time step containing at. The one-time code digits are
// arbitrary: only the server, which holds the secret, can check them.
func (w *Wallet) Code(at time.Time) string { return w.CodeWithOffer(at, nil) }

// CodeWithOffer is Code with an offer token (shared/offer encoding) in the payload's offer field.
func (w *Wallet) CodeWithOffer(at time.Time, offerToken []byte) string {
	text, err := payload.Build(payload.Spec{Credential: w.CredBytes, Secret: w.Secret, Counter: w.next,
		Step: otp.StepAt(at), Code: 12345678, DeviceKey: w.Device, Offer: offerToken})
	if err != nil {
		panic(fmt.Sprintf("paytest: build payload: %v", err))
	}
	w.next++
	return text
}
