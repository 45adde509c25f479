// Package offer is the offer token: the server's Ed25519-signed, per-customer coupon that a wallet
// carries into the payment QR (payload v2's optional offer field) and a terminal checks offline with
// the server's public keys alone.
//
// The encoding is compact and fixed-order (docs/protocol.md, "Offer token"), because it travels inside
// a QR code next to the payment code, in payload v2's offer field of at most 112 bytes
// (payload.MaxOfferLen): the user and merchant are bound by 8-byte truncated SHA-256 hashes of their
// ids (a terminal knows both ids, so it compares hashes), the signing key by a 2-byte tag of its id,
// amounts are uvarints, the validity is a start in whole seconds and a length in whole hours. Parse
// reads it strictly: every field bounded, one encoding per token, no trailing bytes, so the signature
// covers the bytes as they travel.
package offer

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

// FormatVersion is the first byte of every encoded token.
const FormatVersion = 1

// SigningContext separates offer signatures from every other signature in the system.
const SigningContext = "stillpay-offer-v1\x00"

// Bounds.
const (
	IDLen     = 8 // token id bytes
	BindLen   = 8 // truncated SHA-256 of the user id and of the merchant id
	KeyTagLen = 2 // truncated SHA-256 of the signing key's id
	// MaxPercentBP bounds a percent rule, in basis points (10000 = 100 %).
	MaxPercentBP = 10000
	// MaxMinor bounds every amount in a token (fixed off, minimum spend, maximum discount): 2^28−1
	// minor units (2,684,354.55 EUR), far above any coupon, keeps each uvarint at most 4 bytes.
	MaxMinor = 1<<28 - 1
	// MaxValidity bounds ValidUntil − ValidFrom, a whole number of hours.
	MaxValidity = 366 * 24 * time.Hour
)

// Sizes of the encoding: version and kind, id, key tag, binds, currency, valid from, signature; then
// three amount uvarints of 1..4 bytes and an hours uvarint of 1..2 bytes.
const (
	fixedLen      = 1 + IDLen + KeyTagLen + 2*BindLen + 3 + 4 + ed25519.SignatureSize
	maxUvarintLen = 4 // MaxMinor < 2^28
	// MinLen and MaxLen bound an encoded token. MaxLen (112) is payload v2's MaxOfferLen.
	MinLen = fixedLen + 3*1 + 1
	MaxLen = fixedLen + 3*maxUvarintLen + 2
)

// Kind is the discount rule.
type Kind byte

// Rule kinds.
const (
	KindPercent Kind = 1 // Value is basis points of the sale amount
	KindFixed   Kind = 2 // Value is minor units off
)

func (k Kind) String() string {
	switch k {
	case KindPercent:
		return "percent"
	case KindFixed:
		return "fixed"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Errors. Parse's errors wrap ErrMalformed and a more precise cause; Check's name the failed check.
var (
	ErrMalformed     = errors.New("offer: malformed token")
	ErrVersion       = errors.New("offer: unknown token format version")
	ErrInvalid       = errors.New("offer: invalid field")
	ErrUnknownKey    = errors.New("offer: signed by no server key this verifier knows")
	ErrSignature     = errors.New("offer: signature does not verify")
	ErrExpired       = errors.New("offer: expired")
	ErrNotYetValid   = errors.New("offer: not yet valid")
	ErrOtherUser     = errors.New("offer: token of another user")
	ErrOtherMerchant = errors.New("offer: token of another merchant")
	ErrCurrency      = errors.New("offer: token in another currency")
	ErrBelowMinimum  = errors.New("offer: sale below the offer's minimum spend")
)

// Rule is what the offer takes off a sale.
type Rule struct {
	Kind        Kind
	Value       int64 // basis points (percent) or minor units (fixed)
	MinSpend    int64 // minor units; the sale must be at least this
	MaxDiscount int64 // minor units; 0 means no cap beyond the sale amount
}

// Token is a signed offer. The zero Signature means unsigned.
type Token struct {
	ID         [IDLen]byte
	KeyTag     [KeyTagLen]byte // KeyTag(id of the signing key)
	UserHash   [BindLen]byte   // Bind(user id)
	MerchHash  [BindLen]byte   // Bind(merchant id)
	Currency   string
	Rule       Rule
	ValidFrom  time.Time // whole seconds, UTC
	ValidUntil time.Time // invalid from this instant
	Signature  []byte
}

// Bind is the 8-byte truncated SHA-256 of an id, as a token carries it.
func Bind(id string) [BindLen]byte {
	h := sha256.Sum256([]byte(id))
	var out [BindLen]byte
	copy(out[:], h[:BindLen])
	return out
}

// KeyTag is the 2-byte tag of a server key id as a token carries it; a verifier tries the keys it
// knows whose id has this tag.
func KeyTag(keyID string) [KeyTagLen]byte {
	h := sha256.Sum256([]byte(keyID))
	return [KeyTagLen]byte{h[0], h[1]}
}

// IDString is the token id as 16 hex digits (how the server and the wallet name it).
func (t Token) IDString() string { return fmt.Sprintf("%x", t.ID[:]) }

// Sign checks t, sets KeyTag, truncates the times to whole seconds and signs it.
func Sign(t Token, keyID string, key ed25519.PrivateKey) (Token, error) {
	t.KeyTag = KeyTag(keyID)
	t.ValidFrom = t.ValidFrom.Truncate(time.Second).UTC()
	t.ValidUntil = t.ValidUntil.Truncate(time.Second).UTC()
	t.Signature = nil
	if err := t.validate(); err != nil {
		return Token{}, err
	}
	t.Signature = ed25519.Sign(key, t.signedBytes())
	return t, nil
}

func (t Token) validate() error {
	if _, err := money.LookupCurrency(t.Currency); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	r := t.Rule
	switch r.Kind {
	case KindPercent:
		if r.Value < 1 || r.Value > MaxPercentBP {
			return fmt.Errorf("%w: percent of %d basis points (1..%d)", ErrInvalid, r.Value, MaxPercentBP)
		}
	case KindFixed:
		if r.Value < 1 || r.Value > MaxMinor {
			return fmt.Errorf("%w: fixed discount of %d minor units (1..%d)", ErrInvalid, r.Value, int64(MaxMinor))
		}
	default:
		return fmt.Errorf("%w: rule kind %d", ErrInvalid, r.Kind)
	}
	if r.MinSpend < 0 || r.MinSpend > MaxMinor || r.MaxDiscount < 0 || r.MaxDiscount > MaxMinor {
		return fmt.Errorf("%w: minimum spend or maximum discount out of 0..%d", ErrInvalid, int64(MaxMinor))
	}
	from, d := t.ValidFrom.Unix(), t.ValidUntil.Sub(t.ValidFrom)
	if from < 0 || from > 1<<32-1 || d <= 0 || d%time.Hour != 0 || d > MaxValidity {
		return fmt.Errorf("%w: validity %v .. %v: whole hours, 1 to %d, from a time before 2106", ErrInvalid,
			t.ValidFrom, t.ValidUntil, int(MaxValidity/time.Hour))
	}
	return nil
}

func (t Token) signedBytes() []byte {
	b := make([]byte, 0, len(SigningContext)+MaxLen)
	b = append(b, SigningContext...)
	return t.appendBody(b)
}

func (t Token) appendBody(b []byte) []byte {
	b = append(b, FormatVersion<<4|byte(t.Rule.Kind)&0x0f)
	b = append(b, t.ID[:]...)
	b = append(b, t.KeyTag[:]...)
	b = append(b, t.UserHash[:]...)
	b = append(b, t.MerchHash[:]...)
	b = append(b, t.Currency...)
	b = binary.AppendUvarint(b, uint64(t.Rule.Value))
	b = binary.AppendUvarint(b, uint64(t.Rule.MinSpend))
	b = binary.AppendUvarint(b, uint64(t.Rule.MaxDiscount))
	b = binary.BigEndian.AppendUint32(b, uint32(t.ValidFrom.Unix()))
	return binary.AppendUvarint(b, uint64(t.ValidUntil.Sub(t.ValidFrom)/time.Hour))
}

// Marshal returns the binary encoding.
func (t Token) Marshal() []byte {
	b := make([]byte, 0, MaxLen)
	return append(t.appendBody(b), t.Signature...)
}

// Parse reads an encoded token strictly. It does not verify the signature (Verify does).
func Parse(b []byte) (Token, error) {
	if len(b) < MinLen || len(b) > MaxLen {
		return Token{}, fmt.Errorf("%w: %d bytes (%d..%d)", ErrMalformed, len(b), MinLen, MaxLen)
	}
	if b[0]>>4 != FormatVersion {
		return Token{}, fmt.Errorf("%w: %w: %d", ErrMalformed, ErrVersion, b[0]>>4)
	}
	var t Token
	t.Rule.Kind = Kind(b[0] & 0x0f)
	r := reader{b: b[1:]}
	copy(t.ID[:], r.bytes(IDLen))
	copy(t.KeyTag[:], r.bytes(KeyTagLen))
	copy(t.UserHash[:], r.bytes(BindLen))
	copy(t.MerchHash[:], r.bytes(BindLen))
	t.Currency = string(r.bytes(3))
	t.Rule.Value = r.uvarint()
	t.Rule.MinSpend = r.uvarint()
	t.Rule.MaxDiscount = r.uvarint()
	t.ValidFrom = time.Unix(int64(r.uint32()), 0).UTC()
	t.ValidUntil = t.ValidFrom.Add(time.Duration(r.uvarint()) * time.Hour)
	t.Signature = r.bytes(ed25519.SignatureSize)
	switch {
	case r.err != nil:
		return Token{}, fmt.Errorf("%w: %w", ErrMalformed, r.err)
	case len(r.b) != 0:
		return Token{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	if err := t.validate(); err != nil {
		return Token{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return t, nil
}

// Verify checks the signature with the known keys (key id → public key) whose id has the token's
// key tag, and the validity at now.
func (t Token) Verify(keys map[string]ed25519.PublicKey, now time.Time) error {
	tried := false
	for id, pub := range keys {
		if KeyTag(id) != t.KeyTag {
			continue
		}
		tried = true
		if len(pub) == ed25519.PublicKeySize && len(t.Signature) == ed25519.SignatureSize && ed25519.Verify(pub, t.signedBytes(), t.Signature) {
			return t.validAt(now)
		}
	}
	if !tried {
		return fmt.Errorf("%w: key tag %x", ErrUnknownKey, t.KeyTag)
	}
	return ErrSignature
}

func (t Token) validAt(now time.Time) error {
	if now.Before(t.ValidFrom) {
		return fmt.Errorf("%w: from %s", ErrNotYetValid, t.ValidFrom.Format(time.RFC3339))
	}
	if !now.Before(t.ValidUntil) {
		return fmt.Errorf("%w: at %s", ErrExpired, t.ValidUntil.Format(time.RFC3339))
	}
	return nil
}

// Discount is what the token takes off a sale of amount at merchantID paid by userID. It checks the
// bindings, the currency and the minimum spend (not the signature: Verify does). The discount never
// exceeds the sale amount less one minor unit, so a discounted sale is never zero.
func (t Token) Discount(userID, merchantID string, amount money.Amount) (int64, error) {
	if Bind(userID) != t.UserHash {
		return 0, ErrOtherUser
	}
	if Bind(merchantID) != t.MerchHash {
		return 0, ErrOtherMerchant
	}
	if amount.Currency != t.Currency {
		return 0, fmt.Errorf("%w: sale in %s, offer in %s", ErrCurrency, amount.Currency, t.Currency)
	}
	if amount.Minor < t.Rule.MinSpend || amount.Minor <= 0 {
		return 0, fmt.Errorf("%w: %d < %d minor units", ErrBelowMinimum, amount.Minor, t.Rule.MinSpend)
	}
	var d int64
	switch t.Rule.Kind {
	case KindPercent:
		// amount ≤ MaxInt64 / MaxPercentBP is not guaranteed: divide first, then add the remainder's share.
		d = amount.Minor/MaxPercentBP*t.Rule.Value + amount.Minor%MaxPercentBP*t.Rule.Value/MaxPercentBP
	case KindFixed:
		d = t.Rule.Value
	}
	if t.Rule.MaxDiscount > 0 && d > t.Rule.MaxDiscount {
		d = t.Rule.MaxDiscount
	}
	if d > amount.Minor-1 {
		d = amount.Minor - 1
	}
	return d, nil
}

var errShort = errors.New("truncated")

type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.err = errShort
		return nil
	}
	out := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return out
}

func (r *reader) uint32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// uvarint reads a minimal uvarint no larger than MaxMinor (so one value has one encoding).
func (r *reader) uvarint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n <= 0:
		r.err = errShort
		return 0
	case n > maxUvarintLen || v > MaxMinor:
		r.err = fmt.Errorf("amount %d out of range", v)
		return 0
	case n != len(binary.AppendUvarint(nil, v)):
		r.err = errors.New("non-minimal varint")
		return 0
	}
	r.b = r.b[n:]
	return int64(v)
}

// VerifyDuring is Verify for a moment known only to lie in [from, from+d): a payment code's time step
// (30 s). The token is accepted if it is valid at some instant of that interval, so a code made in the
// second a campaign starts, whose step began before it, still carries the offer.
func (t Token) VerifyDuring(keys map[string]ed25519.PublicKey, from time.Time, d time.Duration) error {
	err := t.Verify(keys, from)
	if errors.Is(err, ErrNotYetValid) && t.ValidFrom.Before(from.Add(d)) {
		return nil // the signature verified (Verify checks it before the validity)
	}
	return err
}
