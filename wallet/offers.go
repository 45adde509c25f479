package wallet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/protocol"
)

// OffersFile keeps the received offers under a DirStore home.
const OffersFile = "offers.json"

// MaxOffers bounds the offers a wallet keeps; the oldest are dropped first.
const MaxOffers = 200

// Offer errors.
var (
	ErrOfferUnknown = errors.New("wallet: no such offer")
	ErrOfferExpired = errors.New("wallet: the offer is not valid now")
)

// Offer is a received service message with its signed offer token.
type Offer struct {
	MessageID  string    `json:"message_id"`
	OfferID    string    `json:"offer_id"`
	MerchantID string    `json:"merchant_id"`
	Title      string    `json:"title"`
	Text       string    `json:"text"`
	Token      []byte    `json:"token"`
	Kind       string    `json:"kind"`
	Value      int64     `json:"value"`
	MinSpend   int64     `json:"min_spend"`
	MaxOff     int64     `json:"max_discount"`
	Currency   string    `json:"currency"`
	ValidUntil time.Time `json:"valid_until"`
	Verified   bool      `json:"verified"` // the token verified with the server keys the wallet holds
	ReceivedAt time.Time `json:"received_at"`
}

// OfferStore is the optional part of a Store that keeps offers (DirStore and MemStore have it).
type OfferStore interface {
	LoadOffers() ([]Offer, error)
	SaveOffers([]Offer) error
}

// LoadOffers implements OfferStore; none yet is an empty list.
func (d DirStore) LoadOffers() ([]Offer, error) {
	var o []Offer
	err := d.load(OffersFile, &o, errNoOffers)
	if errors.Is(err, errNoOffers) {
		return nil, nil
	}
	return o, err
}

var errNoOffers = errors.New("no offers")

// SaveOffers implements OfferStore (atomic, fsync'd).
func (d DirStore) SaveOffers(o []Offer) error { return d.save(OffersFile, o) }

// LoadOffers implements OfferStore.
func (m *MemStore) LoadOffers() ([]Offer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.offers), nil
}

// SaveOffers implements OfferStore.
func (m *MemStore) SaveOffers(o []Offer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailSave != nil {
		return m.FailSave
	}
	m.offers = slices.Clone(o)
	return nil
}

func (w *Wallet) offerStore() (OfferStore, error) {
	os, ok := w.store.(OfferStore)
	if !ok {
		return nil, fmt.Errorf("%w: this wallet store keeps no offers", ErrInvalidRequest)
	}
	return os, nil
}

// Inbox fetches the pending service messages (waiting up to wait for one), keeps their offers
// durably, de-duplicated by message id, and only then acknowledges them: a crash between the two
// gets the same messages again, which the de-duplication absorbs (at-least-once delivery). It
// returns the offers that were new.
func (w *Wallet) Inbox(ctx context.Context, wait time.Duration) ([]Offer, error) {
	ostore, err := w.offerStore()
	if err != nil {
		return nil, err
	}
	sess, err := w.store.LoadSession()
	if err != nil {
		return nil, err
	}
	var inbox protocol.Inbox
	q := url.Values{}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	endpoint := sess.ServerURL + protocol.PathMessages
	if len(q) > 0 {
		endpoint += "?" + q.Encode()
	}
	if err := w.send(ctx, http.MethodGet, endpoint, sess.Token, nil, &inbox); err != nil {
		return nil, err
	}
	if len(inbox.Messages) == 0 {
		return nil, nil
	}
	keys := credential.KeySet{}
	if a, err := w.store.LoadAuthorization(); err == nil {
		keys = credential.KeySetFrom(a.ServerKeys)
	}
	held, err := ostore.LoadOffers()
	if err != nil {
		return nil, err
	}
	now := w.clock.Now()
	var fresh []Offer
	var ids []string
	for _, m := range inbox.Messages {
		ids = append(ids, m.ID)
		if slices.ContainsFunc(held, func(o Offer) bool { return o.MessageID == m.ID }) {
			continue // a redelivery
		}
		tok, err := offer.Parse(m.Offer)
		if err != nil {
			w.log.Warn("dropping a message with a malformed offer", "message", m.ID, "err", err)
			continue
		}
		o := Offer{MessageID: m.ID, OfferID: tok.IDString(), MerchantID: m.MerchantID, Title: m.Title, Text: m.Text,
			Token: m.Offer, Kind: tok.Rule.Kind.String(), Value: tok.Rule.Value, MinSpend: tok.Rule.MinSpend,
			MaxOff: tok.Rule.MaxDiscount, Currency: tok.Currency, ValidUntil: tok.ValidUntil, ReceivedAt: now}
		o.Verified = tok.Verify(keys, now) == nil && tok.UserHash == offer.Bind(sess.UserID) && tok.MerchHash == offer.Bind(m.MerchantID)
		fresh = append(fresh, o)
	}
	all := append(held, fresh...)
	if len(all) > MaxOffers {
		all = all[len(all)-MaxOffers:]
	}
	if err := ostore.SaveOffers(all); err != nil {
		return nil, err
	}
	var ack protocol.AckResponse
	if err := w.post(ctx, sess.ServerURL+protocol.PathMessagesAck, sess.Token, protocol.AckRequest{IDs: ids}, &ack); err != nil {
		return fresh, fmt.Errorf("wallet: acknowledge: %w (the offers are kept; the next inbox call acknowledges again)", err)
	}
	return fresh, nil
}

// Offers lists the offers the wallet holds, newest first; expired ones only with all.
func (w *Wallet) Offers(all bool) ([]Offer, error) {
	ostore, err := w.offerStore()
	if err != nil {
		return nil, err
	}
	held, err := ostore.LoadOffers()
	if err != nil {
		return nil, err
	}
	now := w.clock.Now()
	var out []Offer
	for i := len(held) - 1; i >= 0; i-- {
		if all || now.Before(held[i].ValidUntil) {
			out = append(out, held[i])
		}
	}
	return out, nil
}

// Offer finds a held offer by offer id or message id.
func (w *Wallet) Offer(id string) (Offer, error) {
	held, err := w.Offers(true)
	if err != nil {
		return Offer{}, err
	}
	for _, o := range held {
		if o.OfferID == id || o.MessageID == id {
			return o, nil
		}
	}
	return Offer{}, fmt.Errorf("%w: %q", ErrOfferUnknown, id)
}

// OfferSettings reads the server-side offer settings.
func (w *Wallet) OfferSettings(ctx context.Context) (protocol.OfferSettings, error) {
	sess, err := w.store.LoadSession()
	if err != nil {
		return protocol.OfferSettings{}, err
	}
	var out protocol.OfferSettings
	return out, w.send(ctx, http.MethodGet, sess.ServerURL+protocol.PathOfferSettings, sess.Token, nil, &out)
}

// SettingsChange is what `wallet settings` changes: offers on or off (nil: unchanged), merchants to
// opt out of and to opt back in to.
type SettingsChange struct {
	Offers *bool
	OptOut []string
	OptIn  []string
}

// ChangeOfferSettings reads the settings, applies the change and writes them back.
func (w *Wallet) ChangeOfferSettings(ctx context.Context, c SettingsChange) (protocol.OfferSettings, error) {
	cur, err := w.OfferSettings(ctx)
	if err != nil {
		return cur, err
	}
	if c.Offers != nil {
		cur.Offers = *c.Offers
	}
	for _, m := range c.OptOut {
		if !slices.Contains(cur.OptOuts, m) {
			cur.OptOuts = append(cur.OptOuts, m)
		}
	}
	cur.OptOuts = slices.DeleteFunc(cur.OptOuts, func(m string) bool { return slices.Contains(c.OptIn, m) })
	if cur.OptOuts == nil {
		cur.OptOuts = []string{}
	}
	sess, err := w.store.LoadSession()
	if err != nil {
		return cur, err
	}
	var out protocol.OfferSettings
	return out, w.send(ctx, http.MethodPut, sess.ServerURL+protocol.PathOfferSettings, sess.Token, cur, &out)
}

// MarkOpened tells the server that the customer opened these messages (the campaign report counts
// them). Repeating it changes nothing.
func (w *Wallet) MarkOpened(ctx context.Context, messageIDs []string) error {
	if len(messageIDs) == 0 {
		return nil
	}
	sess, err := w.store.LoadSession()
	if err != nil {
		return err
	}
	var ack protocol.AckResponse
	return w.post(ctx, sess.ServerURL+protocol.PathMessagesAck, sess.Token, protocol.AckRequest{IDs: messageIDs, Opened: true}, &ack)
}
