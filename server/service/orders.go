package service

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// What the MPM text says about a merchant that the merchant record does not hold (yet): the category
// code "5999" (miscellaneous retail) and a city. Wallets show the merchant name; these are only
// required by the EMVCo format.
const (
	orderMCC  = "5999"
	orderCity = "Online"
)

// orderCountry is the ISO 3166-1 country the MPM names for a currency (tag 58); "ZZ" when unknown.
func orderCountry(currency string) string {
	switch currency {
	case "EUR":
		return "DE"
	case "USD":
		return "US"
	case "GBP":
		return "GB"
	case "JPY":
		return "JP"
	case "CHF":
		return "CH"
	}
	return "ZZ"
}

// CreateOrder answers POST /v1/orders for an authenticated terminal: it validates the request,
// signs the order (shared/order) with the server's current key and stores it, idempotently by
// (terminal, terminal_order_id), with the signed request's nonce in the same commit.
func (s *Service) CreateOrder(ctx context.Context, t store.Terminal, sr protocol.SignedRequest, req protocol.OrderRequest) (protocol.Order, error) {
	now := s.clock.Now()
	m, err := s.store.GetMerchant(ctx, t.MerchantID)
	if err != nil {
		return protocol.Order{}, fmt.Errorf("service: order: merchant of %s: %w", t.ID, err)
	}
	ttl, err := s.validateOrder(req, m)
	if err != nil {
		return protocol.Order{}, err
	}
	id, err := protocol.NewOrderID()
	if err != nil {
		return protocol.Order{}, fmt.Errorf("service: order id: %w", err)
	}
	created := now.UTC().Truncate(time.Second)
	keyID, key := s.keys.Current()
	signed, err := order.Sign(order.Order{
		ID: id, MerchantID: m.ID, MerchantName: mpmText(m.Name, order.MaxMerchantNameLen), City: orderCity,
		MCC: orderMCC, Country: orderCountry(m.Currency), TerminalID: mpmLabel(t.ID, order.MaxTerminalIDLen),
		Amount: req.Amount, Reference: req.Reference, ExpiresAt: created.Add(ttl),
	}, keyID, key)
	if err != nil {
		return protocol.Order{}, fmt.Errorf("service: sign order: %w", err)
	}
	mpm, err := signed.MPM()
	if err != nil {
		return protocol.Order{}, fmt.Errorf("service: order MPM: %w", err)
	}
	sigHash := signed.SignatureSHA256()
	o, replayed, err := s.store.CreateOrder(ctx, store.Order{
		ID: id, Kind: protocol.OrderDynamic, TerminalID: t.ID, TerminalOrderID: req.TerminalOrderID,
		MerchantID: m.ID, Amount: req.Amount, Reference: req.Reference, Items: req.Items,
		RequestHash: orderRequestHash(req, ttl), State: store.OrderPending,
		CreatedAt: created, ExpiresAt: signed.ExpiresAt, MPM: mpm, SignatureHash: sigHash[:], KeyID: keyID,
		// The request's nonce is recorded in the same commit as the order.
		Nonce: &store.Nonce{TerminalID: t.ID, Nonce: sr.Nonce, ExpiresAt: nonceExpiry(sr)},
	})
	switch {
	case errors.Is(err, store.ErrNonceReplayed):
		return protocol.Order{}, nonceReplayedProblem()
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return protocol.Order{}, problem(http.StatusConflict, protocol.CodeIdempotencyReused,
			"terminal_order_id %s was used for another order; use a new id for a new order", req.TerminalOrderID)
	case err != nil:
		return protocol.Order{}, s.orderStoreProblem(err)
	}
	if !replayed {
		s.orderWatch.notify(feedKey(t.ID))
		s.log.Info("order created", "order_id", o.ID, "terminal_id", t.ID, "amount", o.Amount.String())
	}
	return s.renderOrder(ctx, o, m)
}

// validateOrder checks an order request and returns its lifetime.
func (s *Service) validateOrder(req protocol.OrderRequest, m store.Merchant) (time.Duration, error) {
	if err := checkID("terminal_order_id", req.TerminalOrderID); err != nil {
		return 0, err
	}
	if err := checkAmount("amount", req.Amount); err != nil {
		return 0, err
	}
	if req.Amount.Currency != m.Currency {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "the merchant takes %s, not %s", m.Currency, truncate(req.Amount.Currency))
		p.Field = "amount.currency"
		return 0, p
	}
	if req.Amount.Minor > s.policy.MaxCapPerPayment {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "an order may be at most %d minor units", s.policy.MaxCapPerPayment)
		p.Field = "amount.minor"
		return 0, p
	}
	if err := checkMPMText("reference", req.Reference, order.MaxReferenceLen); err != nil {
		return 0, err
	}
	if err := checkItems(req.Items, req.Amount); err != nil {
		return 0, err
	}
	switch {
	case req.ExpiresInSeconds < 0 || req.ExpiresInSeconds > int64(protocol.MaxOrderTTL/time.Second):
		return 0, invalidField("expires_in_seconds", "expires_in_seconds must be 1 to %d, or 0 for %d",
			int64(protocol.MaxOrderTTL/time.Second), int64(protocol.DefaultOrderTTL/time.Second))
	case req.ExpiresInSeconds == 0:
		return protocol.DefaultOrderTTL, nil
	}
	return time.Duration(req.ExpiresInSeconds) * time.Second, nil
}

// checkMPMText accepts printable ASCII of at most max bytes: the text goes into the EMVCo QR, whose
// character set that is.
func checkMPMText(field, v string, max int) error {
	return fieldProblem(protocol.CheckASCIIText(field, v, max))
}

// checkItems checks the line items and that they add up to the amount exactly.
func checkItems(items []protocol.OrderItem, amount money.Amount) error {
	if len(items) > protocol.MaxOrderItems {
		return invalidField("items", "at most %d items", protocol.MaxOrderItems)
	}
	if len(items) == 0 {
		return nil
	}
	var sum int64
	for i, it := range items {
		f := fmt.Sprintf("items[%d]", i)
		if it.Description == "" {
			return invalidField(f+".description", "%s.description is required", f)
		}
		if err := checkText(f+".description", it.Description, protocol.MaxItemDescription); err != nil {
			return err
		}
		if it.Quantity < 1 || it.Quantity > protocol.MaxItemQuantity {
			return invalidField(f+".quantity", "%s.quantity must be 1 to %d", f, protocol.MaxItemQuantity)
		}
		if err := checkAmount(f+".unit_price", it.UnitPrice); err != nil {
			return err
		}
		if it.UnitPrice.Currency != amount.Currency {
			p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "%s.unit_price is in %s, the order in %s", f, truncate(it.UnitPrice.Currency), amount.Currency)
			p.Field = f + ".unit_price.currency"
			return p
		}
		// Both factors are bounded (quantity ≤ 10,000), but the price is any int64: check.
		line := it.Quantity * it.UnitPrice.Minor
		if line/it.Quantity != it.UnitPrice.Minor || sum+line < sum {
			p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "%s overflows", f)
			p.Field = f + ".unit_price.minor"
			return p
		}
		sum += line
	}
	if sum != amount.Minor {
		return problem(http.StatusUnprocessableEntity, protocol.CodeOrderItemsMismatch,
			"the items add up to %d minor units, the amount is %d", sum, amount.Minor)
	}
	return nil
}

// orderRequestHash is the fingerprint of a create request, for idempotency: every field, with the
// lifetime as applied.
func orderRequestHash(req protocol.OrderRequest, ttl time.Duration) []byte {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field("order")
	field(req.TerminalOrderID)
	field(strconv.FormatInt(req.Amount.Minor, 10))
	field(req.Amount.Currency)
	field(req.Reference)
	field(strconv.FormatInt(int64(ttl/time.Second), 10))
	for _, it := range req.Items {
		field(it.Description)
		field(strconv.FormatInt(it.Quantity, 10))
		field(strconv.FormatInt(it.UnitPrice.Minor, 10))
		field(it.UnitPrice.Currency)
	}
	return h.Sum(nil)
}

// mpmText makes a merchant name fit the QR: printable ASCII (others become '?'), at most max bytes.
// The wallet shows it; the merchant id, which the confirmation names, is exact.
func mpmText(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == max {
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// mpmLabel shortens an id to the QR's field (the terminal label is informational).
func mpmLabel(id string, max int) string {
	if len(id) > max {
		return id[:max]
	}
	return id
}

// GetOrder answers GET /v1/orders/{id} for the order's own terminal; with wait > 0 it holds the
// answer while the order is pending, until it changes, expires or wait passes (docs/api.md).
func (s *Service) GetOrder(ctx context.Context, t store.Terminal, id string, wait time.Duration) (protocol.Order, error) {
	deadline := time.Now().Add(min(wait, protocol.MaxOrderWait))
	for {
		changed := s.orderWatch.changed(orderKey(id))
		o, err := s.terminalOrder(ctx, t, id)
		if err != nil {
			return protocol.Order{}, err
		}
		now := s.clock.Now()
		// Wake at the expiry too: the order reads as expired from then on.
		until := deadline
		if expiry := time.Now().Add(o.ExpiresAt.Sub(now)); expiry.Before(until) {
			until = expiry
		}
		if o.StateAt(now) != protocol.OrderPending || !s.orderWatch.waitFor(ctx, changed, until) {
			return s.renderOrder(ctx, o, store.Merchant{})
		}
	}
}

// terminalOrder finds an order of terminal t; another terminal's order is not found.
func (s *Service) terminalOrder(ctx context.Context, t store.Terminal, id string) (store.Order, error) {
	o, err := s.store.GetOrder(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.TerminalID != t.ID) {
		return store.Order{}, orderNotFound(id)
	}
	if err != nil {
		return store.Order{}, fmt.Errorf("service: order %s: %w", truncate(id), err)
	}
	return o, nil
}

func orderNotFound(id string) *protocol.Problem {
	return problem(http.StatusNotFound, protocol.CodeOrderNotFound, "no order %q", truncate(id))
}

// OrderFeed answers GET /v1/orders: the terminal's orders after a cursor, waiting up to wait for one
// when there are none.
func (s *Service) OrderFeed(ctx context.Context, t store.Terminal, after uint64, limit int, wait time.Duration) (protocol.OrderFeed, error) {
	if limit <= 0 || limit > protocol.MaxOrderFeedLimit {
		limit = protocol.MaxOrderFeedLimit
	}
	deadline := time.Now().Add(min(wait, protocol.MaxOrderWait))
	for {
		changed := s.orderWatch.changed(feedKey(t.ID))
		list, err := s.store.ListOrders(ctx, store.OrderFilter{TerminalID: t.ID, AfterSeq: after, Limit: limit})
		if err != nil {
			return protocol.OrderFeed{}, fmt.Errorf("service: order feed: %w", err)
		}
		if len(list) > 0 || !s.orderWatch.waitFor(ctx, changed, deadline) {
			feed := protocol.OrderFeed{Orders: make([]protocol.Order, 0, len(list)), Next: after}
			m := store.Merchant{}
			for _, o := range list {
				po, err := s.renderOrder(ctx, o, m)
				if err != nil {
					return protocol.OrderFeed{}, err
				}
				feed.Orders = append(feed.Orders, po)
				feed.Next = o.Seq
			}
			return feed, nil
		}
	}
}

// CancelOrder answers POST /v1/orders/{id}/cancel.
func (s *Service) CancelOrder(ctx context.Context, t store.Terminal, sr protocol.SignedRequest, id string) (protocol.Order, error) {
	if err := s.UseNonce(ctx, t, sr); err != nil {
		return protocol.Order{}, err
	}
	o, err := s.store.CancelOrder(ctx, id, t.ID, s.clock.Now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return protocol.Order{}, orderNotFound(id)
		}
		return protocol.Order{}, s.orderStoreProblem(err)
	}
	s.orderWatch.notify(orderKey(id))
	return s.renderOrder(ctx, o, store.Merchant{})
}

// orderStoreProblem maps the store's order errors to problems.
func (s *Service) orderStoreProblem(err error) error {
	switch {
	case errors.Is(err, store.ErrOrderPaid):
		return problem(http.StatusConflict, protocol.CodeOrderAlreadyPaid, "the order is already paid")
	case errors.Is(err, store.ErrOrderExpired):
		return problem(http.StatusConflict, protocol.CodeOrderExpired, "the order has expired")
	case errors.Is(err, store.ErrOrderCancelled):
		return problem(http.StatusConflict, protocol.CodeOrderCancelled, "the order was cancelled")
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return problem(http.StatusConflict, protocol.CodeIdempotencyReused, "this id was used for another request")
	case errors.Is(err, store.ErrInsufficientFunds):
		return problem(http.StatusPaymentRequired, protocol.CodeInsufficientFunds, "the account balance does not cover the order")
	}
	return storeProblem(err, "order")
}

// renderOrder turns a stored order into the answer: a pure function of the record (and the stored
// payment for a paid one), so every answer for an order is the same bytes. m is the merchant when the
// caller has it.
func (s *Service) renderOrder(ctx context.Context, o store.Order, m store.Merchant) (protocol.Order, error) {
	if m.ID != o.MerchantID {
		var err error
		if m, err = s.store.GetMerchant(ctx, o.MerchantID); err != nil {
			return protocol.Order{}, fmt.Errorf("service: order %s: merchant: %w", o.ID, err)
		}
	}
	po := protocol.Order{
		OrderID: o.ID, Kind: o.Kind, TerminalID: o.TerminalID, TerminalOrderID: o.TerminalOrderID,
		MerchantID: o.MerchantID, MerchantName: m.Name, Amount: o.Amount, Reference: o.Reference,
		Items: o.Items, State: o.StateAt(s.clock.Now()), CreatedAt: o.CreatedAt.UTC(), ExpiresAt: o.ExpiresAt.UTC(),
		CancelledAt: o.CancelledAt.UTC(), Seq: o.Seq, MPM: o.MPM,
	}
	if po.CancelledAt.IsZero() {
		po.CancelledAt = time.Time{}
	}
	if o.State == store.OrderPaid {
		t, err := s.store.GetTxn(ctx, o.PaymentKey())
		if err != nil {
			return protocol.Order{}, fmt.Errorf("service: paid order %s: payment: %w", o.ID, err)
		}
		if err := s.attachApproval(&po, t); err != nil {
			return protocol.Order{}, err
		}
	}
	return po, nil
}

// attachApproval renders an order's payment as the signed approval of flow 1.
func (s *Service) attachApproval(po *protocol.Order, t store.Txn) error {
	res := s.render(t.Outcome, protocol.KindOnline)
	if res.Problem != nil {
		return res.Problem
	}
	po.Approval = res.Response.Approval
	return nil
}

// stickerID is a lane's static sticker id: "stk_" and 26 base32 characters of a hash of the terminal
// id, the same every time.
func stickerID(terminalID string) string {
	sum := sha256.Sum256([]byte("stillpay-sticker-v1\x00" + terminalID))
	return "stk_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// Sticker answers GET /v1/terminals/self/sticker: the lane's static MPM, signed with the current key.
func (s *Service) Sticker(ctx context.Context, t store.Terminal) (protocol.Sticker, error) {
	m, err := s.store.GetMerchant(ctx, t.MerchantID)
	if err != nil {
		return protocol.Sticker{}, fmt.Errorf("service: sticker: merchant: %w", err)
	}
	keyID, key := s.keys.Current()
	signed, err := order.Sign(order.Order{
		ID: stickerID(t.ID), MerchantID: m.ID, MerchantName: mpmText(m.Name, order.MaxMerchantNameLen), City: orderCity,
		MCC: orderMCC, Country: orderCountry(m.Currency), TerminalID: mpmLabel(t.ID, order.MaxTerminalIDLen),
		Amount: money.Amount{Currency: m.Currency}, Static: true,
	}, keyID, key)
	if err != nil {
		return protocol.Sticker{}, fmt.Errorf("service: sign sticker: %w", err)
	}
	mpm, err := signed.MPM()
	if err != nil {
		return protocol.Sticker{}, fmt.Errorf("service: sticker MPM: %w", err)
	}
	return protocol.Sticker{StickerID: signed.ID, TerminalID: t.ID, MPM: mpm}, nil
}

// keyLookup finds the server's own public keys for verifying what it signed.
func (s *Service) keyLookup(keyID string) (ed25519.PublicKey, bool) {
	for _, k := range s.keys.Public() {
		if k.KeyID == keyID {
			return ed25519.PublicKey(k.PublicKey), true
		}
	}
	return nil, false
}
