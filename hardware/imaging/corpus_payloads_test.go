package imaging

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/wallet"
)

// The corpus's payloads come out of the wallet's own code path (the wallet package's NextCode and
// NextCodeWithOffer, what `wallet code --raw` prints), not from a look-alike generator: a wallet
// per user holds a server-signed credential and, for some, a server-signed offer token.
// Everything is derived from fixed seeds and a fixed clock, so the texts (and the photos) are the
// same on every run.

// corpusClock is the wallets' fixed time.
var corpusClock = clock.Func(func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) })

// fixedKeyStore is a wallet.MemStore whose device key is fixed, so that signatures repeat.
type fixedKeyStore struct {
	*wallet.MemStore
	key ed25519.PrivateKey
}

func (s fixedKeyStore) DeviceKey() (ed25519.PrivateKey, error) { return s.key, nil }

// corpusWallet is one wallet of the corpus.
type corpusWallet struct {
	name  string // what kind of payload it makes
	w     *wallet.Wallet
	offer string // the held offer's id ("" draws plain codes)
}

// corpusWallets returns wallets with typical user ids (5 to 12 characters) with and without an
// offer, one with the longest ids a credential allows, and one with the server's key and
// authorization ids and the longest user id that still fits the QR budget next to an offer token:
// the longest payloads.
func corpusWallets(t testing.TB) []corpusWallet {
	t.Helper()
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	users := []struct {
		keyID, user, auth string
		withOffer         bool
	}{
		{"k-0123456789ab", "alice", "au_0123456789abcdef01234567", false},
		{"k-0123456789ab", "bob-1234", "au_89abcdef0123456789abcdef", false},
		{"k-5d0c8e1f2a3b", "carol.smith1", "au_00112233445566778899aabb", false},
		{"k-5d0c8e1f2a3b", "dave99", "au_ffeeddccbbaa998877665544", true},
		{"k-0123456789ab", "erin@shop.io", "au_0f1e2d3c4b5a69788796a5b4", true},
		{long("K", credential.MaxKeyIDLen), long("u", credential.MaxUserIDLen), long("A", credential.MaxAuthorizationIDLen), false},
	}
	var out []corpusWallet
	for i, u := range users {
		out = append(out, newCorpusWallet(t, i, u.keyID, u.user, u.auth, u.withOffer))
	}
	// The longest user id whose codes still fit with an offer token.
	for n := credential.MaxUserIDLen; n > 0; n-- {
		w := newCorpusWallet(t, len(users), "k-0123456789ab", long("v", n), "au_0123456789abcdef01234567", true)
		if _, err := w.try(); err == nil {
			return append(out, w)
		}
	}
	t.Fatal("no user id fits the QR budget with an offer")
	return nil
}

// newCorpusWallet makes wallet i: a credential and, withOffer, an offer token signed by a fixed
// server key, for a fixed device key.
func newCorpusWallet(t testing.TB, i int, keyID, user, auth string, withOffer bool) corpusWallet {
	t.Helper()
	server := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	now := corpusClock()
	device := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(60 + i)}, 32))
	cred, err := credential.Sign(credential.Credential{UserID: user, AuthorizationID: auth,
		DevicePublicKey: device.Public().(ed25519.PublicKey), Currency: "EUR", CapPerPayment: 5000,
		MaxCodes: 5000, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(7 * 24 * time.Hour)}, keyID, server)
	if err != nil {
		t.Fatal(err)
	}
	store := fixedKeyStore{MemStore: &wallet.MemStore{}, key: device}
	capAmount, err := money.New(5000, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveAuthorization(wallet.Authorization{UserID: user, AccountID: "acct-" + user,
		AuthorizationID: auth, Secret: bytes.Repeat([]byte{byte(90 + i)}, 32), Credential: cred.Marshal(),
		CapPerPayment: capAmount, MaxCodes: 5000, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(7 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	cw := corpusWallet{name: "typical", w: wallet.New(wallet.Config{Store: store, Clock: corpusClock})}
	if len(user) > 12 {
		cw.name = "longest"
	}
	if withOffer {
		tok, err := offer.Sign(offer.Token{ID: [offer.IDLen]byte{byte(i), 1, 2, 3, 4, 5, 6, 7},
			UserHash: offer.Bind(user), MerchHash: offer.Bind("merchant-espresso-bar-42"), Currency: "EUR",
			Rule:      offer.Rule{Kind: offer.KindPercent, Value: 1500, MinSpend: 500, MaxDiscount: 2500},
			ValidFrom: now.Add(-24 * time.Hour), ValidUntil: now.Add(30 * 24 * time.Hour)}, keyID, server)
		if err != nil {
			t.Fatal(err)
		}
		cw.offer = tok.IDString()
		if err := store.SaveOffers([]wallet.Offer{{MessageID: "m-" + cw.offer, OfferID: cw.offer,
			Token: tok.Marshal(), Currency: "EUR", ValidUntil: tok.ValidUntil, Verified: true}}); err != nil {
			t.Fatal(err)
		}
		cw.name += "+offer"
	}
	return cw
}

// try draws the wallet's next code.
func (c corpusWallet) try() (string, error) {
	var code wallet.Code
	var err error
	if c.offer != "" {
		code, err = c.w.NextCodeWithOffer(c.offer)
	} else {
		code, err = c.w.NextCode()
	}
	return code.Text, err
}

// next draws the wallet's next code.
func (c corpusWallet) next(t testing.TB) string {
	t.Helper()
	text, err := c.try()
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return text
}
