package order

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/stillpay/stillpay/shared/money"
)

// ConfirmationContext separates confirmation signatures from every other signature in the system.
const ConfirmationContext = "stillpay-order-confirm-v1\x00"

// MaxAccountIDLen bounds Confirmation.AccountID (protocol.MaxIDLen).
const MaxAccountIDLen = 64

// Confirmation is the phone's operation instruction: it pays this order, of this merchant, this
// amount, from this account, and it saw the order whose server signature hashes to
// OrderSignatureSHA256. The wallet's device key signs ConfirmationBytes of it.
type Confirmation struct {
	OrderID              string
	MerchantID           string
	Amount               money.Amount
	AccountID            string
	OrderSignatureSHA256 [32]byte
}

// ConfirmationFor builds the confirmation of a verified order. amount must be the order's own for a
// dynamic order; for a static sticker it is what the customer entered (positive, in the sticker's
// currency), and orderID is the id of the order the payment creates (protocol.StaticOrderID).
func ConfirmationFor(s Signed, orderID, accountID string, amount money.Amount) (Confirmation, error) {
	switch {
	case !s.Static && amount != s.Amount:
		return Confirmation{}, fmt.Errorf("%w: amount %s, the order says %s", ErrInvalid, amount, s.Amount)
	case s.Static && amount.Currency != s.Amount.Currency:
		return Confirmation{}, fmt.Errorf("%w: currency %s, the sticker says %s", ErrInvalid, amount.Currency, s.Amount.Currency)
	case !s.Static && orderID != s.ID:
		return Confirmation{}, fmt.Errorf("%w: order id %q, the order says %q", ErrInvalid, orderID, s.ID)
	}
	c := Confirmation{OrderID: orderID, MerchantID: s.MerchantID, Amount: amount, AccountID: accountID,
		OrderSignatureSHA256: s.SignatureSHA256()}
	if _, err := ConfirmationBytes(c); err != nil {
		return Confirmation{}, err
	}
	return c, nil
}

// ConfirmationBytes is what the device key signs (docs/protocol.md): ConfirmationContext, then
//
//	order id str8 | merchant id str8 | currency 3 bytes | amount i64 BE | account id str8 |
//	SHA-256 of the order signature, 32 bytes
func ConfirmationBytes(c Confirmation) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"order id", c.OrderID, MaxOrderIDLen}, {"merchant id", c.MerchantID, MaxMerchantIDLen}, {"account id", c.AccountID, MaxAccountIDLen}} {
		if f.v == "" || len(f.v) > f.max || !isID(f.v) {
			return bad("%s %q: 1..%d printable ASCII characters without spaces", f.name, f.v, f.max)
		}
	}
	if err := c.Amount.Validate(money.ParseOptions{}); err != nil {
		return bad("amount: %v", err)
	}
	b := make([]byte, 0, len(ConfirmationContext)+3*65+3+8+32)
	b = append(b, ConfirmationContext...)
	b = appendStr8(b, c.OrderID)
	b = appendStr8(b, c.MerchantID)
	b = append(b, c.Amount.Currency...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Amount.Minor))
	b = appendStr8(b, c.AccountID)
	return append(b, c.OrderSignatureSHA256[:]...), nil
}

// Sign signs the confirmation with the wallet's device key.
func (c Confirmation) Sign(key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: device key of %d bytes", ErrInvalid, len(key))
	}
	msg, err := ConfirmationBytes(c)
	if err != nil {
		return nil, err
	}
	return ed25519.Sign(key, msg), nil
}

// VerifyConfirmation checks a device signature over c: ErrInvalid for a malformed confirmation,
// ErrConfirmationSignature when the signature does not verify.
func VerifyConfirmation(c Confirmation, devicePublicKey ed25519.PublicKey, sig []byte) error {
	msg, err := ConfirmationBytes(c)
	if err != nil {
		return err
	}
	if len(devicePublicKey) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize ||
		!ed25519.Verify(devicePublicKey, msg, sig) {
		return ErrConfirmationSignature
	}
	return nil
}
