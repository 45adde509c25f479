package money

import (
	"errors"
	"math"
	"testing"
)

var parseTable = []struct {
	in       string
	currency string
	opt      ParseOptions
	want     int64
	err      error
}{
	{"12.50", "EUR", ParseOptions{}, 1250, nil},
	{"12.5", "EUR", ParseOptions{}, 1250, nil},
	{"12", "CNY", ParseOptions{}, 1200, nil},
	{"0.01", "USD", ParseOptions{}, 1, nil},
	{"1000", "JPY", ParseOptions{}, 1000, nil},
	{"1.234", "BHD", ParseOptions{}, 1234, nil},
	{"007.10", "EUR", ParseOptions{}, 710, nil},
	{"-3.20", "EUR", ParseOptions{AllowNegative: true}, -320, nil},
	{"0", "EUR", ParseOptions{AllowZero: true}, 0, nil},
	{"92233720368547758.07", "EUR", ParseOptions{}, math.MaxInt64, nil},
	{"92233720368547758.08", "EUR", ParseOptions{}, 0, ErrOverflow},
	{"99999999999999999999", "EUR", ParseOptions{}, 0, ErrOverflow},
	{"1e3", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"12.505", "EUR", ParseOptions{}, 0, ErrPrecision},
	{"12.505", "CNY", ParseOptions{}, 0, ErrPrecision},
	{"12.505", "USD", ParseOptions{}, 0, ErrPrecision},
	{"1.5", "JPY", ParseOptions{}, 0, ErrPrecision},
	{"-3.20", "EUR", ParseOptions{}, 0, ErrNegative},
	{"-0", "EUR", ParseOptions{AllowZero: true}, 0, ErrNegative},
	{"0.00", "EUR", ParseOptions{}, 0, ErrZero},
	{"", "EUR", ParseOptions{}, 0, ErrSyntax},
	{".5", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"5.", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"+5", "EUR", ParseOptions{}, 0, ErrSyntax},
	{" 5", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"1,000.00", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"1.2.3", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"--1", "EUR", ParseOptions{AllowNegative: true}, 0, ErrSyntax},
	{"NaN", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"١٢", "EUR", ParseOptions{}, 0, ErrSyntax},
	{"5", "XXX", ParseOptions{}, 0, ErrUnknownCurrency},
	{"5", "eur", ParseOptions{}, 0, ErrUnknownCurrency},
	{"123456789012345678901234567890123", "EUR", ParseOptions{}, 0, ErrSyntax},
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range parseTable {
		got, err := Parse(tc.in, tc.currency, tc.opt)
		if !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q, %s) error = %v, want %v", tc.in, tc.currency, err, tc.err)
			continue
		}
		if err == nil && (got.Minor != tc.want || got.Currency != tc.currency) {
			t.Errorf("Parse(%q, %s) = %+v, want %d", tc.in, tc.currency, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a       Amount
		decimal string
		receipt string
	}{
		{Amount{1250, "EUR"}, "12.50", "€12.50"},
		{Amount{5, "EUR"}, "0.05", "€0.05"},
		{Amount{-5, "EUR"}, "-0.05", "€-0.05"},
		{Amount{1000, "JPY"}, "1000", "¥1000"},
		{Amount{1234, "BHD"}, "1.234", "1.234 BHD"},
		{Amount{math.MinInt64, "USD"}, "-92233720368547758.08", "$-92233720368547758.08"},
	} {
		if got := tc.a.Decimal(); got != tc.decimal {
			t.Errorf("%+v.Decimal() = %q, want %q", tc.a, got, tc.decimal)
		}
		if got := tc.a.Receipt(); got != tc.receipt {
			t.Errorf("%+v.Receipt() = %q, want %q", tc.a, got, tc.receipt)
		}
	}
}

func TestAdd(t *testing.T) {
	t.Parallel()
	if _, err := (Amount{math.MaxInt64, "EUR"}).Add(Amount{1, "EUR"}); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow: got %v", err)
	}
	if _, err := (Amount{1, "EUR"}).Add(Amount{1, "USD"}); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("mismatch: got %v", err)
	}
	if s, err := (Amount{150, "EUR"}).Add(Amount{-50, "EUR"}); err != nil || s.Minor != 100 {
		t.Errorf("add = %v, %v", s, err)
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts formats back to an amount
// that parses to the same value.
func FuzzParse(f *testing.F) {
	for _, tc := range parseTable {
		f.Add(tc.in, tc.currency, tc.opt.AllowNegative, tc.opt.AllowZero)
	}
	f.Fuzz(func(t *testing.T, in, currency string, neg, zero bool) {
		opt := ParseOptions{AllowNegative: neg, AllowZero: zero}
		a, err := Parse(in, currency, opt)
		if err != nil {
			return
		}
		b, err := Parse(a.Decimal(), currency, opt)
		if err != nil || b != a {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", in, a, a.Decimal(), b, err)
		}
	})
}
