package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// confirmation is a phone's operation instruction on its way through the checks: the fields of
// OrderConfirmRequest and StaticOrderRequest that the two paths share.
type confirmation struct {
	accountID  string
	merchantID string
	amount     money.Amount
	sigHash    []byte
	devicePub  []byte
	signature  []byte
}

// ConfirmOrder answers POST /v1/orders/{id}/confirm: the phone pays a dynamic order (docs/api.md).
func (s *Service) ConfirmOrder(ctx context.Context, bearer, id string, req protocol.OrderConfirmRequest) (protocol.Order, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.Order{}, err
	}
	c := confirmation{accountID: req.AccountID, merchantID: req.MerchantID, amount: req.Amount,
		sigHash: req.OrderSignatureSHA256, devicePub: req.DevicePublicKey, signature: req.Signature}
	if err := c.validate(); err != nil {
		return protocol.Order{}, err
	}
	now := s.clock.Now()
	if err := s.throttled(ctx, store.Subject{Kind: store.SubjectUser, ID: sess.UserID}, now); err != nil {
		return protocol.Order{}, err
	}
	o, err := s.store.GetOrder(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return protocol.Order{}, orderNotFound(id)
	case err != nil:
		return protocol.Order{}, fmt.Errorf("service: order %s: %w", truncate(id), err)
	case o.Kind != protocol.OrderDynamic:
		// A static order is paid once, by the call that created it.
		return protocol.Order{}, orderNotFound(id)
	}
	if err := s.checkConfirmation(ctx, sess, o, c, now); err != nil {
		return protocol.Order{}, err
	}
	return s.payOrder(ctx, sess, o, c, nil)
}

func (c confirmation) validate() error {
	if err := checkID("account_id", c.accountID); err != nil {
		return err
	}
	if err := checkID("merchant_id", c.merchantID); err != nil {
		return err
	}
	if err := checkAmount("amount", c.amount); err != nil {
		return err
	}
	switch {
	case len(c.sigHash) != sha256.Size:
		return invalidField("order_signature_sha256", "order_signature_sha256 must be %d bytes", sha256.Size)
	case len(c.devicePub) != ed25519.PublicKeySize:
		return invalidField("device_public_key", "device_public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize)
	case len(c.signature) != ed25519.SignatureSize:
		return invalidField("signature", "signature must be %d bytes", ed25519.SignatureSize)
	}
	return nil
}

// checkConfirmation checks a confirmation against the stored order, in the order docs/api.md gives:
// the account, what the phone saw, the device signature. The last three count as failed codes
// against the user (throttling, as in flow 1).
func (s *Service) checkConfirmation(ctx context.Context, sess store.Session, o store.Order, c confirmation, now time.Time) error {
	acct, err := s.store.GetAccount(ctx, c.accountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (acct.Kind != store.AccountCustomer || acct.OwnerID != sess.UserID)) {
		// One answer for "no such account" and "someone else's": ids are not to be probed.
		return problem(http.StatusNotFound, protocol.CodeAccountNotFound, "no account %q for this user", truncate(c.accountID))
	}
	if err != nil {
		return fmt.Errorf("service: confirm: account: %w", err)
	}
	if acct.Currency != o.Amount.Currency {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "the account is in %s, the order in %s", acct.Currency, o.Amount.Currency)
		p.Field = "account_id"
		return p
	}
	var refused *protocol.Problem
	switch {
	case c.amount != o.Amount:
		refused = problem(http.StatusUnprocessableEntity, protocol.CodeOrderAmountMismatch,
			"the confirmation is for %s, the order is for %s: the QR code the phone read was altered", c.amount, o.Amount)
	case c.merchantID != o.MerchantID || !bytes.Equal(c.sigHash, o.SignatureHash):
		refused = problem(http.StatusUnprocessableEntity, protocol.CodeOrderSignatureMismatch,
			"the confirmation names another merchant or another order's signature than the server issued for this order")
	default:
		var h [32]byte
		copy(h[:], o.SignatureHash)
		err := order.VerifyConfirmation(order.Confirmation{OrderID: o.ID, MerchantID: o.MerchantID, Amount: o.Amount,
			AccountID: c.accountID, OrderSignatureSHA256: h}, ed25519.PublicKey(c.devicePub), c.signature)
		if err != nil {
			refused = problem(http.StatusUnprocessableEntity, protocol.CodeConfirmationSignature,
				"the device signature does not verify over this order's confirmation")
		}
	}
	if refused == nil {
		return nil
	}
	if _, err := s.store.RecordCodeFailures(ctx, []store.Subject{{Kind: store.SubjectUser, ID: sess.UserID}}, now, now.Add(-ThrottleWindow)); err != nil {
		return fmt.Errorf("service: confirm: count failure: %w", err)
	}
	s.log.Warn("order confirmation refused", "order_id", o.ID, "user_id", sess.UserID, "code", refused.Code)
	return refused
}

// payOrder pays a checked confirmation in one store transaction and renders the paid order.
func (s *Service) payOrder(ctx context.Context, sess store.Session, o store.Order, c confirmation, create *store.Order) (protocol.Order, error) {
	approvalID, err := newID("ap_", 12)
	if err != nil {
		return protocol.Order{}, err
	}
	code, err := newApprovalCode()
	if err != nil {
		return protocol.Order{}, fmt.Errorf("service: approval code: %w", err)
	}
	keyID, _ := s.keys.Current()
	paid, txn, replayed, err := s.store.ConfirmOrder(ctx, store.OrderConfirm{
		OrderID: o.ID, UserID: sess.UserID, AccountID: c.accountID, ConfirmHash: confirmHash(sess.UserID, c),
		Now: s.clock.Now(), ApprovalID: approvalID, ApprovalCode: code, KeyID: keyID, Create: create,
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return protocol.Order{}, orderNotFound(o.ID)
		}
		return protocol.Order{}, s.orderStoreProblem(err)
	}
	if !replayed {
		s.orderWatch.notify(orderKey(paid.ID), feedKey(paid.TerminalID))
		s.log.Info("order paid", "order_id", paid.ID, "terminal_id", paid.TerminalID, "user_id", sess.UserID,
			"amount", paid.Amount.String(), "kind", paid.Kind)
	}
	po, err := s.renderOrder(ctx, paid, store.Merchant{})
	if err != nil {
		return protocol.Order{}, err
	}
	// The answer carries the payment just made, whatever a concurrent read saw.
	if err := s.attachApproval(&po, txn); err != nil {
		return protocol.Order{}, err
	}
	return po, nil
}

// confirmHash identifies a confirmation: the user, the account and the device signature (which
// covers everything else). A repeat of the paying confirmation has the same hash.
func confirmHash(userID string, c confirmation) []byte {
	h := sha256.New()
	h.Write([]byte("stillpay-confirm-hash-v1\x00" + userID + "\x00" + c.accountID + "\x00"))
	h.Write(c.signature)
	return h.Sum(nil)
}

// PayStatic answers POST /v1/sticker-payments: the phone pays a lane's sticker with an amount it
// entered; the order is created and paid in one store transaction.
func (s *Service) PayStatic(ctx context.Context, bearer string, req protocol.StaticOrderRequest) (protocol.Order, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.Order{}, err
	}
	if req.Sticker == "" || len(req.Sticker) > protocol.MaxOrderPayloadText {
		return protocol.Order{}, invalidField("sticker", "sticker must be the scanned text, 1 to %d characters", protocol.MaxOrderPayloadText)
	}
	if err := checkID("payment_id", req.PaymentID); err != nil {
		return protocol.Order{}, err
	}
	now := s.clock.Now()
	st, err := order.Parse(req.Sticker, s.keyLookup, now)
	if err != nil || !st.Static || stickerID(st.TerminalID) != st.ID {
		return protocol.Order{}, stickerInvalid("the sticker is not one this server signed")
	}
	t, err := s.store.GetTerminal(ctx, st.TerminalID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return protocol.Order{}, stickerInvalid("the sticker's lane is unknown")
	case err != nil:
		return protocol.Order{}, fmt.Errorf("service: sticker terminal: %w", err)
	case !t.Enrolled() || t.MerchantID != st.MerchantID:
		return protocol.Order{}, stickerInvalid("the sticker's lane is no longer in service")
	}
	sigHash := st.SignatureSHA256()
	c := confirmation{accountID: req.AccountID, merchantID: st.MerchantID, amount: req.Amount,
		sigHash: req.OrderSignatureSHA256, devicePub: req.DevicePublicKey, signature: req.Signature}
	if err := c.validate(); err != nil {
		return protocol.Order{}, err
	}
	if req.Amount.Currency != st.Amount.Currency {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "the sticker takes %s", st.Amount.Currency)
		p.Field = "amount.currency"
		return protocol.Order{}, p
	}
	if req.Amount.Minor > s.policy.MaxCapPerPayment {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "a payment may be at most %d minor units", s.policy.MaxCapPerPayment)
		p.Field = "amount.minor"
		return protocol.Order{}, p
	}
	if err := s.throttled(ctx, store.Subject{Kind: store.SubjectUser, ID: sess.UserID}, now); err != nil {
		return protocol.Order{}, err
	}
	id := protocol.StaticOrderID(st.ID, req.PaymentID)
	created := now.UTC().Truncate(time.Second)
	o := store.Order{ID: id, Kind: protocol.OrderStatic, TerminalID: t.ID, TerminalOrderID: id, MerchantID: t.MerchantID,
		Amount: req.Amount, RequestHash: staticRequestHash(sess.UserID, req), State: store.OrderPending,
		CreatedAt: created, ExpiresAt: created.Add(protocol.DefaultOrderTTL), SignatureHash: sigHash[:], KeyID: st.KeyID}
	create := &o
	if prev, err := s.store.GetOrder(ctx, id); err == nil {
		// A retry: check it against the order as it was made, and answer from it.
		o, create = prev, nil
	}
	if err := s.checkConfirmation(ctx, sess, o, c, now); err != nil {
		return protocol.Order{}, err
	}
	return s.payOrder(ctx, sess, o, c, create)
}

func stickerInvalid(detail string) *protocol.Problem {
	p := problem(http.StatusUnprocessableEntity, protocol.CodeStickerInvalid, "%s", detail)
	p.Field = "sticker"
	return p
}

// staticRequestHash fingerprints a sticker payment for its idempotency (the same payment id again).
func staticRequestHash(userID string, req protocol.StaticOrderRequest) []byte {
	h := sha256.New()
	h.Write([]byte(strings.Join([]string{"static", userID, req.PaymentID, req.Amount.String(), req.AccountID}, "\x00")))
	h.Write(req.Signature)
	return h.Sum(nil)
}
