package order

import (
	"encoding/binary"
	"fmt"

	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
)

// Kind bytes in SignedBytes.
const (
	kindDynamic = 1
	kindStatic  = 2
)

// SignedBytes is what the server signs (docs/protocol.md): SigningContext, then
//
//	version u8 | kind u8 (1 dynamic, 2 static) | key id str8 | order id str8 | merchant id str8 |
//	merchant name str8 | city str8 | MCC 4 bytes | country 2 bytes | terminal id str8 |
//	currency 3 bytes | amount i64 BE (minor units; 0 for a sticker) | reference str8 |
//	expires i64 BE (unix seconds; 0 for none)
//
// where str8 is a length byte and that many bytes. Every field is bounded below 256 bytes, so the
// encoding is unambiguous.
func (s Signed) SignedBytes() []byte {
	o := s.Order
	b := make([]byte, 0, 256)
	b = append(b, SigningContext...)
	b = append(b, FormatVersion, kindByte(o.Static))
	for _, f := range []string{s.KeyID, o.ID, o.MerchantID, o.MerchantName, o.City} {
		b = appendStr8(b, f)
	}
	b = append(b, o.MCC...)
	b = append(b, o.Country...)
	b = appendStr8(b, o.TerminalID)
	b = append(b, o.Amount.Currency...)
	b = binary.BigEndian.AppendUint64(b, uint64(o.Amount.Minor))
	b = appendStr8(b, o.Reference)
	var exp int64
	if !o.ExpiresAt.IsZero() {
		exp = o.ExpiresAt.Unix()
	}
	return binary.BigEndian.AppendUint64(b, uint64(exp))
}

func kindByte(static bool) byte {
	if static {
		return kindStatic
	}
	return kindDynamic
}

func appendStr8(b []byte, s string) []byte {
	return append(append(b, byte(len(s))), s...)
}

// validate checks every field against its limits; SignedBytes and the MPM text rely on it.
func (s Signed) validate() error {
	o := s.Order
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"key id", s.KeyID, MaxKeyIDLen}, {"order id", o.ID, MaxOrderIDLen}, {"merchant id", o.MerchantID, MaxMerchantIDLen},
		{"terminal id", o.TerminalID, MaxTerminalIDLen}} {
		if f.v == "" || len(f.v) > f.max || !isID(f.v) {
			return bad("%s %q: 1..%d printable ASCII characters without spaces", f.name, f.v, f.max)
		}
	}
	for _, f := range []struct {
		name, v  string
		min, max int
	}{{"merchant name", o.MerchantName, 1, MaxMerchantNameLen}, {"city", o.City, 1, MaxCityLen}, {"reference", o.Reference, 0, MaxReferenceLen}} {
		if len(f.v) < f.min || len(f.v) > f.max || !isText(f.v) {
			return bad("%s %q: %d..%d printable ASCII characters", f.name, f.v, f.min, f.max)
		}
	}
	if len(o.MCC) != 4 || !isDigits(o.MCC) {
		return bad("MCC %q: 4 digits", o.MCC)
	}
	if len(o.Country) != 2 || !isUpper(o.Country) {
		return bad("country %q: 2 upper-case letters", o.Country)
	}
	cur, err := money.LookupCurrency(o.Amount.Currency)
	if err != nil {
		return bad("%v", err)
	}
	if _, ok := emvqr.CurrencyByAlpha(cur.Code); !ok {
		return bad("currency %s has no ISO 4217 numeric code here", cur.Code)
	}
	if o.Static {
		if o.Amount.Minor != 0 {
			return bad("a static sticker carries no amount (the phone enters it)")
		}
	} else {
		if o.Amount.Minor <= 0 {
			return bad("amount %d: a dynamic order needs a positive amount", o.Amount.Minor)
		}
		if len(emvqr.FormatAmount(o.Amount.Minor, cur.Exponent)) > MaxAmountDigits {
			return bad("amount %s does not fit tag 54 (%d characters)", o.Amount, MaxAmountDigits)
		}
		if o.ExpiresAt.IsZero() {
			return bad("a dynamic order needs an expiry")
		}
	}
	if !o.ExpiresAt.IsZero() && (o.ExpiresAt.Unix() <= 0 || o.ExpiresAt.Unix() > maxUnix) {
		return bad("expiry %s out of range", o.ExpiresAt)
	}
	if s.Signature != nil && len(s.Signature) != 64 {
		return bad("signature of %d bytes", len(s.Signature))
	}
	return nil
}

// maxUnix keeps expiries within four-digit years, as shared/credential does.
const maxUnix = 253402300799 // 9999-12-31T23:59:59Z

func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
