package emvqr

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ErrNoAmount is returned by AmountMinor when the code carries no amount (the payer enters it).
var ErrNoAmount = errors.New("emvqr: the code carries no amount")

// Lookup returns the top-level object id.
func (c Code) Lookup(id int) (Object, bool) { return lookup(c.Objects, id) }

// Value returns the value of top-level primitive id, "" when absent.
func (c Code) Value(id int) string {
	o, _ := c.Lookup(id)
	return o.Value
}

// Template returns template id (26..51, 62, 64, 80..99).
func (c Code) Template(id int) (Object, bool) {
	o, ok := c.Lookup(id)
	return o, ok && o.Sub != nil
}

// AccountByGUI returns the merchant account template (26..51) or unreserved template (80..99) whose
// globally unique identifier is gui, compared case-insensitively (reverse domain names and AIDs).
func (c Code) AccountByGUI(gui string) (Object, bool) {
	for _, o := range c.Objects {
		if hasGUI(o.ID) && strings.EqualFold(o.GUI(), gui) {
			return o, true
		}
	}
	return Object{}, false
}

// GUIs lists the globally unique identifiers of the code's templates 26..51 and 80..99, in order.
func (c Code) GUIs() []string {
	var out []string
	for _, o := range c.Objects {
		if hasGUI(o.ID) && o.GUI() != "" {
			out = append(out, o.GUI())
		}
	}
	return out
}

// Static reports whether the code is a static one (point of initiation "11"), which the payer may
// use many times and which usually carries no amount.
func (c Code) Static() bool { return c.Value(IDInitiation) == InitiationStatic }

// MerchantName is tag 59.
func (c Code) MerchantName() string { return c.Value(IDMerchantName) }

// MerchantCity is tag 60.
func (c Code) MerchantCity() string { return c.Value(IDMerchantCity) }

// Country is tag 58 (ISO 3166-1 alpha-2).
func (c Code) Country() string { return c.Value(IDCountry) }

// MCC is tag 52 (ISO 18245 merchant category code).
func (c Code) MCC() string { return c.Value(IDMCC) }

// Currency is tag 53 as a Currency. Parse guarantees it is known.
func (c Code) Currency() Currency {
	cur, _ := CurrencyByNumeric(c.Value(IDCurrency))
	return cur
}

// Amount is tag 54 as written ("12.50"), "" when the payer enters the amount.
func (c Code) Amount() string { return c.Value(IDAmount) }

// AmountMinor converts tag 54 to minor units of Currency: ErrNoAmount when absent, an ErrValue when
// it has more decimals than the currency or does not fit an int64.
func (c Code) AmountMinor() (int64, error) {
	a := c.Amount()
	if a == "" {
		return 0, ErrNoAmount
	}
	return MinorUnits(a, c.Currency().Exponent)
}

// MinorUnits converts an amount as tag 54 writes it to minor units of a currency with exponent exp.
func MinorUnits(a string, exp int) (int64, error) {
	if err := checkAmount(a, maxAmountLen); err != nil {
		return 0, err
	}
	intPart, frac, _ := strings.Cut(a, ".")
	if len(frac) > exp {
		return 0, errAt(ErrValue, "54", -1, "amount %q has %d decimals, the currency allows %d", a, len(frac), exp)
	}
	frac += strings.Repeat("0", exp-len(frac))
	var v int64
	for _, d := range intPart + frac {
		x := int64(d - '0')
		if v > (math.MaxInt64-x)/10 {
			return 0, errAt(ErrValue, "54", -1, "amount %q out of range", a)
		}
		v = v*10 + x
	}
	return v, nil
}

// FormatAmount writes positive minor units of a currency with exponent exp as tag 54 does:
// "12.50", "100".
func FormatAmount(minor int64, exp int) string {
	digits := strconv.FormatInt(minor, 10)
	if exp <= 0 {
		return digits
	}
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	return digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
}

// Additional returns sub-object id of the additional data template 62 ("" when absent), e.g.
// AddReferenceLabel.
func (c Code) Additional(id int) string {
	t, _ := c.Template(IDAdditionalData)
	return t.SubValue(id)
}

// Summary is what a payer is shown for a code: who, where, how much.
type Summary struct {
	MerchantName string   `json:"merchant_name"`
	MerchantCity string   `json:"merchant_city"`
	Country      string   `json:"country"`
	MCC          string   `json:"mcc"`
	Currency     string   `json:"currency"`         // ISO 4217 alphabetic, "BRL"
	Amount       string   `json:"amount,omitempty"` // as written in the code; empty: the payer enters it
	Static       bool     `json:"static"`
	Schemes      []string `json:"schemes,omitempty"` // globally unique identifiers, e.g. "br.gov.bcb.pix"
	// LocalName and LocalCity come from template 64 (another language), when present.
	LocalName string `json:"local_name,omitempty"`
	LocalCity string `json:"local_city,omitempty"`
}

// Summarize returns the Summary of c.
func (c Code) Summarize() Summary {
	lang, _ := c.Template(IDLanguage)
	return Summary{
		MerchantName: c.MerchantName(),
		MerchantCity: c.MerchantCity(),
		Country:      c.Country(),
		MCC:          c.MCC(),
		Currency:     c.Currency().Alpha,
		Amount:       c.Amount(),
		Static:       c.Static(),
		Schemes:      c.GUIs(),
		LocalName:    lang.SubValue(LanguageName),
		LocalCity:    lang.SubValue(LanguageCity),
	}
}
