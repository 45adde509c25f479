package emvqr

// Currency is an ISO 4217 currency: its alphabetic code, the numeric code tag 53 carries, and its
// minor-unit exponent.
type Currency struct {
	Alpha    string // "EUR"
	Numeric  string // "978"
	Exponent int    // 2: "12.50" is 1250 minor units
}

// currencies lists every currency shared/money knows and those of the national schemes whose codes
// this package reads (Brazil, Thailand, Singapore, India, Indonesia, China, Malaysia, Vietnam, the
// Philippines and their neighbours). Tag 53 with a code not listed here is ErrCurrency.
var currencies = []Currency{
	{"AED", "784", 2}, {"ARS", "032", 2}, {"AUD", "036", 2}, {"BDT", "050", 2}, {"BHD", "048", 3},
	{"BRL", "986", 2}, {"CAD", "124", 2}, {"CHF", "756", 2}, {"CLP", "152", 0}, {"CNY", "156", 2},
	{"COP", "170", 2}, {"EUR", "978", 2}, {"GBP", "826", 2}, {"HKD", "344", 2}, {"IDR", "360", 2},
	{"INR", "356", 2}, {"JPY", "392", 0}, {"KES", "404", 2}, {"KHR", "116", 2}, {"KRW", "410", 0},
	{"KWD", "414", 3}, {"LAK", "418", 2}, {"LKR", "144", 2}, {"MMK", "104", 2}, {"MNT", "496", 2},
	{"MXN", "484", 2}, {"MYR", "458", 2}, {"NGN", "566", 2}, {"NPR", "524", 2}, {"NZD", "554", 2},
	{"PEN", "604", 2}, {"PHP", "608", 2}, {"PKR", "586", 2}, {"SAR", "682", 2}, {"SGD", "702", 2},
	{"THB", "764", 2}, {"TRY", "949", 2}, {"TWD", "901", 2}, {"USD", "840", 2}, {"VND", "704", 0},
	{"ZAR", "710", 2},
}

var (
	byNumeric = make(map[string]Currency, len(currencies))
	byAlpha   = make(map[string]Currency, len(currencies))
)

func init() {
	for _, c := range currencies {
		byNumeric[c.Numeric] = c
		byAlpha[c.Alpha] = c
	}
}

// CurrencyByNumeric returns the currency whose ISO 4217 numeric code is n ("986").
func CurrencyByNumeric(n string) (Currency, bool) {
	c, ok := byNumeric[n]
	return c, ok
}

// CurrencyByAlpha returns the currency whose ISO 4217 alphabetic code is a ("BRL").
func CurrencyByAlpha(a string) (Currency, bool) {
	c, ok := byAlpha[a]
	return c, ok
}
