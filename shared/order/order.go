package order

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
)

// GUI is stillpay's globally unique identifier (reverse domain name) in templates 26, 80 and 81.
const GUI = "com.stillpay"

// FormatVersion is the order format this package writes and reads (template 80, sub-ID 01).
const FormatVersion = 1

// SigningContext separates order signatures from every other signature in the system.
const SigningContext = "stillpay-order-v1\x00"

// Template and sub-object IDs of the stillpay fields.
const (
	AccountTemplate   = 26 // 00 GUI, 01 order id, 02 merchant id
	SignatureTemplate = 80 // 00 GUI, 01 format version, 02 key id, 03 signature bytes 0..31
	SignatureTail     = 81 // 00 GUI, 01 expiry (unix seconds; absent: none), 02 signature bytes 32..63
	subOrderID        = 1
	subMerchantID     = 2
	subVersion        = 1
	subKeyID          = 2
	subSigHead        = 3
	subExpiry         = 1
	subSigTail        = 2
)

// Field limits. Ids are printable ASCII without spaces (0x21..0x7E); names, cities and references
// are printable ASCII (0x20..0x7E), the EMVCo character set.
const (
	MaxOrderIDLen      = 40 // protocol.NewOrderID makes 30
	MaxMerchantIDLen   = 35 // with the order id and the GUI, template 26 holds at most 99 characters
	MaxTerminalIDLen   = 25 // additional data 62.07
	MaxReferenceLen    = 25 // additional data 62.05
	MaxMerchantNameLen = 25 // tag 59
	MaxCityLen         = 15 // tag 60
	MaxKeyIDLen        = 16 // as credential.MaxKeyIDLen
	// MaxAmountDigits bounds tag 54, "digits[.decimals]" in at most 13 characters.
	MaxAmountDigits = 13
)

// Errors. Test with errors.Is.
var (
	// ErrInvalid: Sign or ConfirmationBytes was given a field out of range.
	ErrInvalid = errors.New("order: invalid field")
	// ErrMalformed: the text is not a valid MPM payload, or a stillpay order with bad fields. It
	// wraps the emvqr error when there is one.
	ErrMalformed = errors.New("order: malformed order")
	// ErrNonCanonical: a stillpay order written differently from how Encode writes it (extra or
	// reordered objects, other letter case): refused, so that one signed order has one text.
	ErrNonCanonical = errors.New("order: not the canonical encoding of a stillpay order")
	// ErrNotStillpay: a valid MPM payload of another scheme; the error is a *NotStillpayError.
	ErrNotStillpay = errors.New("order: not a stillpay order")
	// ErrVersion: a stillpay order of a format version this package does not know.
	ErrVersion = errors.New("order: unknown order format version")
	// ErrUnknownKey: signed by a server key id the caller does not trust.
	ErrUnknownKey = errors.New("order: signed by an unknown server key")
	// ErrSignature: the server signature does not verify: a changed amount, name, merchant...
	ErrSignature = errors.New("order: server signature does not verify")
	// ErrExpired: the order's expiry has passed.
	ErrExpired = errors.New("order: expired")
	// ErrConfirmationSignature: a confirmation's device signature does not verify.
	ErrConfirmationSignature = errors.New("order: confirmation signature does not verify")
)

// NotStillpayError is what Parse and Decode return for another scheme's valid MPM code (Pix,
// PromptPay, SGQR, BharatQR, QRIS, UnionPay...): the phone shows who and how much, and never pays it.
type NotStillpayError struct {
	Summary emvqr.Summary
}

func (e *NotStillpayError) Error() string {
	s := e.Summary
	amount := "amount entered by the payer"
	if s.Amount != "" {
		amount = s.Amount + " " + s.Currency
	}
	return fmt.Sprintf("not a stillpay order: %q, %q, %s", s.MerchantName, s.MerchantCity, amount)
}

// Is makes errors.Is(err, ErrNotStillpay) true.
func (e *NotStillpayError) Is(target error) bool { return target == ErrNotStillpay }

// KeyLookup returns the server public key named keyID, if the caller trusts it.
// credential.KeySet.Lookup is one.
type KeyLookup func(keyID string) (ed25519.PublicKey, bool)

// Order is what the server vouches for.
type Order struct {
	ID           string       // the order id, protocol.NewOrderID; a sticker id for a static sticker
	MerchantID   string       // the payee
	MerchantName string       // shown to the customer (tag 59)
	City         string       // tag 60
	MCC          string       // ISO 18245, 4 digits (tag 52)
	Country      string       // ISO 3166-1 alpha-2 (tag 58)
	TerminalID   string       // the lane (62.07)
	Amount       money.Amount // positive for a dynamic order; Minor 0 for a static sticker (the phone enters it)
	Reference    string       // the register's reference (62.05); may be empty
	ExpiresAt    time.Time    // whole seconds; required for a dynamic order, zero = never for a sticker
	Static       bool         // a sticker: point of initiation 11, no amount
}

// Signed is an order with the server's signature.
type Signed struct {
	Order
	KeyID     string
	Signature []byte // Ed25519, 64 bytes, over SignedBytes
}

// Sign validates o, truncates ExpiresAt to whole seconds (UTC) and signs it with key, named keyID.
func Sign(o Order, keyID string, key ed25519.PrivateKey) (Signed, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Signed{}, fmt.Errorf("%w: signing key of %d bytes", ErrInvalid, len(key))
	}
	if !o.ExpiresAt.IsZero() {
		o.ExpiresAt = time.Unix(o.ExpiresAt.Unix(), 0).UTC()
	}
	s := Signed{Order: o, KeyID: keyID}
	if err := s.validate(); err != nil {
		return Signed{}, err
	}
	s.Signature = ed25519.Sign(key, s.SignedBytes())
	return s, nil
}

// Verify checks the signature with the key lookup names by KeyID, then the expiry against now:
// ErrUnknownKey, ErrSignature or ErrExpired (now at or after ExpiresAt).
func (s Signed) Verify(keys KeyLookup, now time.Time) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var pub ed25519.PublicKey
	ok := false
	if keys != nil {
		pub, ok = keys(s.KeyID)
	}
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownKey, s.KeyID)
	}
	if len(pub) != ed25519.PublicKeySize || len(s.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(pub, s.SignedBytes(), s.Signature) {
		return ErrSignature
	}
	if !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
		return fmt.Errorf("%w: at %s", ErrExpired, s.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// SignatureSHA256 is the SHA-256 of the 64 signature bytes: the phone puts it in its confirmation,
// which ties the confirmation to this very signed order.
func (s Signed) SignatureSHA256() [32]byte { return sha256.Sum256(s.Signature) }

// Parse decodes text and verifies it (Decode, then Verify). Another scheme's valid code is a
// *NotStillpayError.
func Parse(text string, keys KeyLookup, now time.Time) (Signed, error) {
	s, err := Decode(text)
	if err != nil {
		return Signed{}, err
	}
	if err := s.Verify(keys, now); err != nil {
		return Signed{}, err
	}
	return s, nil
}
