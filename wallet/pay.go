package wallet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// MaxConfirmAttempts bounds how often PayOrder sends the same confirmation when the network fails
// before an answer arrives. Each attempt carries the identical body, and the server answers a
// repeat of the paying confirmation with the identical paid order, so a retry never pays twice.
const MaxConfirmAttempts = 3

// confirmRetryDelay is the pause between two attempts.
const confirmRetryDelay = 500 * time.Millisecond

// ReadOrder reads a scanned merchant-presented code and verifies a stillpay order's server
// signature with the keys the wallet trusts (its saved keys, else its first approval's). When the
// order names a key the wallet does not know, it asks the server for its keys and accepts only
// keys endorsed by one it trusts (protocol.AcceptKeys), then checks again.
//
// Errors: another scheme's valid code is a *order.NotStillpayError (errors.Is order.ErrNotStillpay)
// carrying its merchant name, city and amount — never pay it; a damaged or forged order is
// order.ErrMalformed, ErrNonCanonical, ErrVersion, ErrUnknownKey, ErrSignature or ErrExpired.
func (w *Wallet) ReadOrder(ctx context.Context, text string) (order.Signed, error) {
	s, err := order.Decode(text)
	if err != nil {
		return order.Signed{}, err
	}
	keys, err := w.trustedKeys()
	if err != nil {
		return order.Signed{}, err
	}
	if _, ok := credential.KeySetFrom(keys).Lookup(s.KeyID); !ok {
		sess, err := w.store.LoadSession()
		if err != nil {
			return order.Signed{}, fmt.Errorf("%w (the order names server key %q, which this wallet has not seen)", err, s.KeyID)
		}
		if keys, err = w.learnKeys(ctx, sess.ServerURL, keys); err != nil {
			return order.Signed{}, err
		}
	}
	if err := s.Verify(credential.KeySetFrom(keys).Lookup, w.clock.Now()); err != nil {
		return order.Signed{}, err
	}
	return s, nil
}

// PayOptions says how to pay an order.
type PayOptions struct {
	// AccountID is the account to pay from; empty: the stored authorization's account.
	AccountID string
	// Amount is what the customer entered for a static sticker. For a dynamic order it must be
	// zero or the order's own amount.
	Amount money.Amount
	// PaymentID makes a sticker payment idempotent (protocol.StaticOrderRequest); empty: random.
	PaymentID string
}

// Payment is a paid order: the server's answer and its signed approval, verified.
type Payment struct {
	Order    protocol.Order    `json:"order"`
	Approval protocol.Approval `json:"approval"`
}

// PayOrder confirms a verified order (ReadOrder) with the device key: POST /v1/orders/{id}/confirm
// for a dynamic order, POST /v1/orders/static for a sticker (text is the sticker's MPM). It returns
// the paid order after checking the server's signed approval names this order, merchant and amount.
// Refusals are the server's *protocol.Problem (order_expired, order_already_paid, ...).
func (w *Wallet) PayOrder(ctx context.Context, s order.Signed, text string, opt PayOptions) (Payment, error) {
	sess, err := w.store.LoadSession()
	if err != nil {
		return Payment{}, err
	}
	if !sess.ExpiresAt.IsZero() && !w.clock.Now().Before(sess.ExpiresAt) {
		return Payment{}, ErrSessionExpired
	}
	account := opt.AccountID
	if account == "" {
		a, err := w.store.LoadAuthorization()
		if err != nil {
			return Payment{}, fmt.Errorf("%w: name the account to pay from (--account)", ErrInvalidRequest)
		}
		account = a.AccountID
	}
	amount, orderID := s.Amount, s.ID
	if s.Static {
		amount = opt.Amount
		if opt.PaymentID == "" {
			if opt.PaymentID, err = newPaymentID(); err != nil {
				return Payment{}, err
			}
		}
		orderID = protocol.StaticOrderID(s.ID, opt.PaymentID)
	} else if opt.Amount != (money.Amount{}) && opt.Amount != s.Amount {
		return Payment{}, fmt.Errorf("%w: the order is for %s, not %s", ErrInvalidRequest, s.Amount, opt.Amount)
	}
	c, err := order.ConfirmationFor(s, orderID, account, amount)
	if err != nil {
		return Payment{}, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	key, err := w.store.DeviceKey()
	if err != nil {
		return Payment{}, err
	}
	sig, err := c.Sign(key)
	if err != nil {
		return Payment{}, err
	}
	hash := s.SignatureSHA256()
	pub := key.Public().(ed25519.PublicKey)
	endpoint := sess.ServerURL + protocol.OrderConfirmPath(s.ID)
	var body any = protocol.OrderConfirmRequest{AccountID: account, MerchantID: s.MerchantID, Amount: amount,
		OrderSignatureSHA256: hash[:], DevicePublicKey: pub, Signature: sig}
	if s.Static {
		endpoint = sess.ServerURL + protocol.PathStaticOrders
		body = protocol.StaticOrderRequest{Sticker: text, PaymentID: opt.PaymentID, AccountID: account, Amount: amount,
			OrderSignatureSHA256: hash[:], DevicePublicKey: pub, Signature: sig}
	}
	var paid protocol.Order
	if err := w.postRetrying(ctx, endpoint, sess.Token, body, &paid); err != nil {
		return Payment{}, err
	}
	keys, err := w.trustedKeys()
	if err != nil {
		return Payment{}, err
	}
	p, err := checkPaid(paid, keys, orderID, s.MerchantID, amount)
	if errors.Is(err, protocol.ErrUnknownKey) { // the server rotated its key since the order was made
		if keys, err = w.learnKeys(ctx, sess.ServerURL, keys); err != nil {
			return Payment{}, err
		}
		p, err = checkPaid(paid, keys, orderID, s.MerchantID, amount)
	}
	return p, err
}

// checkPaid accepts the server's answer only if its signed approval pays this order.
func checkPaid(paid protocol.Order, keys []protocol.ServerKey, orderID, merchantID string, amount money.Amount) (Payment, error) {
	bad := func(format string, args ...any) (Payment, error) {
		return Payment{}, fmt.Errorf("%w: "+format, append([]any{ErrBadResponse}, args...)...)
	}
	if paid.OrderID != orderID || paid.State != protocol.OrderPaid || paid.Approval == nil {
		return bad("order %q in state %q, want %q paid with an approval", paid.OrderID, paid.State, orderID)
	}
	a, err := protocol.VerifyApproval(*paid.Approval, keys)
	if err != nil {
		return bad("approval: %w", err)
	}
	if a.TerminalTxnID != orderID || a.MerchantID != merchantID || a.Amount != amount {
		return bad("approval for %q, %q, %s; paid %q, %q, %s", a.TerminalTxnID, a.MerchantID, a.Amount, orderID, merchantID, amount)
	}
	return Payment{Order: paid, Approval: a}, nil
}

// postRetrying is post, sent again (identical body) when the network fails before any answer.
func (w *Wallet) postRetrying(ctx context.Context, endpoint, token string, body, out any) error {
	var err error
	for attempt := 1; attempt <= MaxConfirmAttempts; attempt++ {
		err = w.post(ctx, endpoint, token, body, out)
		var p *protocol.Problem
		if err == nil || errors.As(err, &p) || errors.Is(err, ErrBadResponse) || ctx.Err() != nil {
			return err
		}
		w.log.Warn("confirmation not answered, sending it again", "attempt", attempt, "err", err)
		if attempt < MaxConfirmAttempts {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(confirmRetryDelay):
			}
		}
	}
	return err
}

func newPaymentID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("wallet: payment id: %w", err)
	}
	return "p-" + hex.EncodeToString(b[:]), nil
}
