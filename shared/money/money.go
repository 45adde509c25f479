// Package money represents amounts as int64 minor units of an ISO 4217 currency and parses and formats
// them strictly. There are no floats anywhere: "12.50" EUR is 1250 minor units.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Errors returned by Parse and the constructors. Test with errors.Is.
var (
	ErrUnknownCurrency  = errors.New("money: unknown currency")
	ErrSyntax           = errors.New("money: malformed amount")
	ErrPrecision        = errors.New("money: more decimals than the currency allows")
	ErrNegative         = errors.New("money: negative amount not allowed")
	ErrZero             = errors.New("money: zero amount not allowed")
	ErrOverflow         = errors.New("money: amount out of range")
	ErrCurrencyMismatch = errors.New("money: currencies differ")
)

// maxInputLen bounds what Parse reads; no real amount needs more.
const maxInputLen = 32

// Currency is an ISO 4217 currency with its minor-unit exponent.
type Currency struct {
	Code     string // "EUR"
	Exponent int    // 2 for EUR: 1 EUR = 100 minor units
	Symbol   string // for receipts; may be empty
}

// currencies is the table this system accepts. Adding one here is all it takes.
var currencies = map[string]Currency{
	"CNY": {"CNY", 2, "¥"},
	"EUR": {"EUR", 2, "€"},
	"USD": {"USD", 2, "$"},
	"GBP": {"GBP", 2, "£"},
	"CHF": {"CHF", 2, ""},
	"HKD": {"HKD", 2, "HK$"},
	"SGD": {"SGD", 2, "S$"},
	"JPY": {"JPY", 0, "¥"},
	"KRW": {"KRW", 0, "₩"},
	"BHD": {"BHD", 3, ""},
	"KWD": {"KWD", 3, ""},
}

// LookupCurrency returns the currency for an ISO 4217 code (upper case).
func LookupCurrency(code string) (Currency, error) {
	c, ok := currencies[code]
	if !ok {
		return Currency{}, fmt.Errorf("%w: %q", ErrUnknownCurrency, truncate(code))
	}
	return c, nil
}

// Amount is an amount of money in minor units.
type Amount struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// New returns an Amount after checking the currency.
func New(minor int64, currency string) (Amount, error) {
	if _, err := LookupCurrency(currency); err != nil {
		return Amount{}, err
	}
	return Amount{Minor: minor, Currency: currency}, nil
}

// ParseOptions says which amounts Parse accepts.
type ParseOptions struct {
	AllowNegative bool
	AllowZero     bool
}

// Parse reads a decimal amount such as "12.50" in the given currency. It accepts an optional leading
// '-' (only with AllowNegative), digits, and at most Exponent decimals after a '.'. It rejects
// exponents ("1e3"), signs like '+', spaces, thousands separators, too many decimals and overflow.
func Parse(s, currency string, opt ParseOptions) (Amount, error) {
	cur, err := LookupCurrency(currency)
	if err != nil {
		return Amount{}, err
	}
	if len(s) == 0 || len(s) > maxInputLen {
		return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, truncate(s))
	}
	neg := false
	body := s
	if body[0] == '-' {
		neg = true
		body = body[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(body, ".")
	if intPart == "" || (hasDot && fracPart == "") || !allDigits(intPart) || !allDigits(fracPart) {
		return Amount{}, fmt.Errorf("%w: %q (want digits with an optional '.' and decimals)", ErrSyntax, truncate(s))
	}
	if len(fracPart) > cur.Exponent {
		return Amount{}, fmt.Errorf("%w: %q has %d decimals, %s allows %d", ErrPrecision, truncate(s), len(fracPart), cur.Code, cur.Exponent)
	}
	var minor int64
	for _, r := range intPart + fracPart + strings.Repeat("0", cur.Exponent-len(fracPart)) {
		d := int64(r - '0')
		if minor > (math.MaxInt64-d)/10 {
			return Amount{}, fmt.Errorf("%w: %q", ErrOverflow, truncate(s))
		}
		minor = minor*10 + d
	}
	if neg {
		minor = -minor
	}
	switch {
	case minor < 0 && !opt.AllowNegative, neg && !opt.AllowNegative:
		return Amount{}, fmt.Errorf("%w: %q", ErrNegative, truncate(s))
	case minor == 0 && !opt.AllowZero:
		return Amount{}, fmt.Errorf("%w: %q", ErrZero, truncate(s))
	}
	return Amount{Minor: minor, Currency: cur.Code}, nil
}

// String formats the amount with its decimals and code, e.g. "12.50 EUR".
func (a Amount) String() string {
	return a.Decimal() + " " + a.Currency
}

// Decimal formats the number only, e.g. "12.50" or "-0.05"; it round-trips through Parse.
func (a Amount) Decimal() string {
	exp := 2
	if c, ok := currencies[a.Currency]; ok {
		exp = c.Exponent
	}
	sign := ""
	u := uint64(a.Minor)
	if a.Minor < 0 {
		sign = "-"
		u = uint64(-(a.Minor + 1)) + 1 // no overflow for MinInt64
	}
	digits := fmt.Sprintf("%0*d", exp+1, u)
	if exp == 0 {
		return sign + digits
	}
	return sign + digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
}

// Receipt formats the amount for a receipt line: symbol when known, else the code, e.g. "€12.50".
func (a Amount) Receipt() string {
	if c, ok := currencies[a.Currency]; ok && c.Symbol != "" {
		return c.Symbol + a.Decimal()
	}
	return a.Decimal() + " " + a.Currency
}

// Add returns a+b; the currencies must match and the sum must not overflow.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.Currency != b.Currency {
		return Amount{}, fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.Currency, b.Currency)
	}
	if (b.Minor > 0 && a.Minor > math.MaxInt64-b.Minor) || (b.Minor < 0 && a.Minor < math.MinInt64-b.Minor) {
		return Amount{}, ErrOverflow
	}
	return Amount{Minor: a.Minor + b.Minor, Currency: a.Currency}, nil
}

// Validate checks the currency is known and, unless allowed, that the amount is positive.
func (a Amount) Validate(opt ParseOptions) error {
	if _, err := LookupCurrency(a.Currency); err != nil {
		return err
	}
	if a.Minor < 0 && !opt.AllowNegative {
		return ErrNegative
	}
	if a.Minor == 0 && !opt.AllowZero {
		return ErrZero
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > maxInputLen {
		return s[:maxInputLen] + "…"
	}
	return s
}
