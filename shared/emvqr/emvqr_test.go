package emvqr

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCRC16CheckValue(t *testing.T) {
	t.Parallel()
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("CRC16(123456789) = %04X, want 29B1 (CRC-16/CCITT-FALSE check value)", got)
	}
}

// withCRC appends "6304" and the right CRC to body, so that a test reaches the checks after the CRC.
func withCRC(body string) string {
	body += "6304"
	return body + fmt.Sprintf("%04X", CRC16([]byte(body)))
}

// tlv writes one data object; tests build payloads with it.
func tlv(id, v string) string { return id + fmt.Sprintf("%02d", utf8.RuneCountInString(v)) + v }

// tailWith is the valid tail with object id replaced by v ("" removes it).
func tailWith(id, v string) string {
	var b strings.Builder
	for _, f := range [][2]string{{"52", "5812"}, {"53", "978"}, {"54", "1.50"}, {"58", "DE"}, {"59", "Cafe Demo"}, {"60", "Berlin"}} {
		switch {
		case f[0] != id:
			b.WriteString(tlv(f[0], f[1]))
		case v != "":
			b.WriteString(tlv(id, v))
		}
	}
	return b.String()
}

// minimal is a valid body (without the CRC); tests splice objects into it.
var (
	head    = tlv("00", "01") + tlv("01", "12")
	account = tlv("26", tlv("00", "com.example.pay")+tlv("01", "ORDER-42"))
	tail    = tailWith("", "")
	minimal = head + account + tail
)

var parseErrorCases = []struct {
	name  string
	input string
	want  error
}{
	{"empty", "", ErrMissing},
	{"garbage", "hello, world", ErrSyntax},
	{"5000 bytes of garbage", strings.Repeat("\x07garbage", 625), ErrTooLong},
	{"513 characters", strings.Repeat("0", 513), ErrTooLong},
	{"not UTF-8", "0002\xff\xfe", ErrCharset},
	{"bad CRC", minimal + "6304ABCD", ErrCRC},
	{"CRC not hex", minimal + "6304XYZW", ErrValue},
	{"CRC short", minimal + "63031AB", ErrLength},
	{"no CRC", minimal, ErrMissing},
	{"CRC not last", withCRC(minimal)[:len(minimal)+8] + "5802DE", ErrOrder},
	{"00 not first", withCRC("010212000201" + account + tail), ErrOrder},
	{"length past the end", "000201010212269900", ErrLength},
	{"length not digits", "00020101X212", ErrSyntax},
	{"truncated header", "000", ErrSyntax},
	{"value past the end", "00020", ErrLength},
	{"zero length", withCRC(head + "2600" + account + tail), ErrLength},
	{"nested template overflow", withCRC(head + tlv("26", "0015com.x") + tail), ErrLength},
	{"nested template garbage", withCRC(head + "2606ABCDEF" + tail), ErrSyntax},
	{"duplicate tag", withCRC(minimal + "5802DE"), ErrDuplicate},
	{"duplicate sub-tag", withCRC(head + tlv("26", tlv("00", "com.x")+tlv("01", "A")+tlv("01", "B")) + tail), ErrDuplicate},
	{"non-numeric amount", withCRC(head + account + tailWith("54", "12a4")), ErrValue},
	{"two decimal points", withCRC(head + account + tailWith("54", "1.2.3")), ErrValue},
	{"zero amount", withCRC(head + account + tailWith("54", "0.00")), ErrValue},
	{"negative amount", withCRC(head + account + tailWith("54", "-1.50")), ErrValue},
	{"amount too long", withCRC(head + account + tailWith("54", "12345678901.00")), ErrValue},
	{"unknown currency", withCRC(head + account + tailWith("53", "999")), ErrCurrency},
	{"currency not digits", withCRC(head + account + tailWith("53", "EUR")), ErrValue},
	{"MCC not digits", withCRC(head + account + tailWith("52", "ABCD")), ErrValue},
	{"country lower case", withCRC(head + account + tailWith("58", "de")), ErrValue},
	{"name too long", withCRC(head + account + tailWith("59", strings.Repeat("n", 26))), ErrValue},
	{"city too long", withCRC(head + account + tailWith("60", strings.Repeat("c", 16))), ErrValue},
	{"control character", withCRC(head + account + tailWith("59", "Cafe\nDemo")), ErrCharset},
	{"non-ASCII outside 64", withCRC(head + account + tailWith("59", "Café Demo")), ErrCharset},
	{"payload format 02", withCRC("000202010212" + account + tail), ErrValue},
	{"initiation 13", withCRC("000201010213" + account + tail), ErrValue},
	{"template without GUI", withCRC(head + tlv("26", tlv("01", "ORDER-42")) + tail), ErrMissing},
	{"no merchant account", withCRC(head + tail), ErrMissing},
	{"no currency", withCRC(head + account + tailWith("53", "")[:0] + tlv("52", "5812") + tlv("58", "DE")), ErrMissing},
	{"no country", withCRC(head + account + tailWith("58", "")), ErrMissing},
	{"fee without indicator", withCRC(minimal + tlv("56", "0.5")), ErrValue},
	{"bad tip indicator", withCRC(minimal + tlv("55", "04")), ErrValue},
	{"language without name", withCRC(minimal + tlv("64", tlv("00", "DE"))), ErrMissing},
	{"language bad code", withCRC(minimal + tlv("64", tlv("00", "DEU")+tlv("01", "Berlin"))), ErrValue},
	{"language control char", withCRC(minimal + tlv("64", tlv("00", "ZH")+tlv("01", "ab\x01cd"))), ErrCharset},
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.input)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %+v, %v; want %v", c, err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Error() == "" {
				t.Fatalf("error %v is not an *Error with a message", err)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	valid := []struct {
		name  string
		input string
		check func(Code) error
	}{
		{"minimal", withCRC(minimal), func(c Code) error {
			if c.MerchantName() != "Cafe Demo" || c.MerchantCity() != "Berlin" || c.Country() != "DE" || c.MCC() != "5812" {
				return fmt.Errorf("summary %+v", c.Summarize())
			}
			if cur := c.Currency(); cur.Alpha != "EUR" || cur.Exponent != 2 {
				return fmt.Errorf("currency %+v", cur)
			}
			if m, err := c.AmountMinor(); m != 150 || err != nil {
				return fmt.Errorf("amount %d %v", m, err)
			}
			if o, ok := c.AccountByGUI("COM.EXAMPLE.PAY"); !ok || o.SubValue(1) != "ORDER-42" {
				return fmt.Errorf("account %+v %v", o, ok)
			}
			return nil
		}},
		{"lower-case CRC", strings.ToLower(withCRC(minimal)[len(minimal):]), nil},
		{"amount with trailing point", withCRC(head + account + tailWith("54", "10.")), func(c Code) error {
			if m, err := c.AmountMinor(); m != 1000 || err != nil {
				return fmt.Errorf("amount %d %v", m, err)
			}
			return nil
		}},
		{"additional data and language", withCRC(minimal + tlv("62", tlv("01", "INV-1")+tlv("07", "LANE-01")) + tlv("64", tlv("00", "DE")+tlv("01", "Cafe Demo")+tlv("02", "Kö"))), func(c Code) error {
			if c.Additional(AddBillNumber) != "INV-1" || c.Additional(AddTerminalLabel) != "LANE-01" || c.Summarize().LocalCity != "Kö" {
				return fmt.Errorf("summary %+v", c.Summarize())
			}
			return nil
		}},
		{"tip prompt", withCRC(minimal + tlv("55", "01")), nil},
		{"fixed fee", withCRC(minimal + tlv("55", "02") + tlv("56", "0.5")), nil},
		{"unreserved template", withCRC(minimal + tlv("80", tlv("00", "com.example.x")+tlv("01", "sig"))), nil},
		{"primitive card scheme account", withCRC(head + tlv("02", "4000123412341234") + tail), nil},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "lower-case CRC" {
				tc.input = withCRC(minimal)
				tc.input = tc.input[:len(tc.input)-4] + strings.ToLower(tc.input[len(tc.input)-4:])
			}
			c, err := Parse(tc.input)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tc.check != nil {
				if err := tc.check(c); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	objs := []Object{
		Prim(IDPayloadFormat, PayloadFormatV1),
		Prim(IDInitiation, InitiationDynamic),
		Tmpl(26, Prim(GUIID, "com.example.pay"), Prim(1, "ORDER-42")),
		Prim(IDMCC, "5812"),
		Prim(IDCurrency, "978"),
		Prim(IDAmount, FormatAmount(1250, 2)),
		Prim(IDCountry, "DE"),
		Prim(IDMerchantName, "Cafe Demo"),
		Prim(IDMerchantCity, "Berlin"),
		Tmpl(IDAdditionalData, Prim(AddBillNumber, "ORDER-42"), Prim(AddReferenceLabel, "R-7")),
		Tmpl(IDLanguage, Prim(LanguagePreference, "ZH"), Prim(LanguageName, "咖啡馆")),
		Tmpl(85, Prim(GUIID, "com.example.sig"), Prim(1, strings.Repeat("x", 70))),
	}
	s, err := Encode(objs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "00020101021226") || !strings.Contains(s, "540512.50") || !strings.Contains(s, "64130002ZH0103咖啡馆") {
		t.Fatalf("encoding %s", s)
	}
	c, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(Encode): %v", err)
	}
	if !reflect.DeepEqual(c.Objects, objs) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", c.Objects, objs)
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	good := []Object{Prim(0, "01"), Tmpl(26, Prim(0, "com.example")), Prim(53, "978"), Prim(58, "DE")}
	if _, err := Encode(good); err != nil {
		t.Fatalf("Encode(good): %v", err)
	}
	with := func(o ...Object) []Object { return append(append([]Object(nil), good...), o...) }
	cases := []struct {
		name string
		objs []Object
		want error
	}{
		{"nothing", nil, ErrOrder},
		{"CRC given", with(Prim(63, "ABCD")), ErrOrder},
		{"value too long", with(Prim(59, strings.Repeat("n", 100))), ErrValue},
		{"value of 100", with(Tmpl(80, Prim(0, "g"), Prim(1, strings.Repeat("n", 99)))), ErrLength},
		{"empty value", with(Prim(61, "")), ErrLength},
		{"ID out of range", with(Prim(100, "x")), ErrSyntax},
		{"template given as value", with(Prim(62, "0105INV-1")), ErrValue},
		{"primitive given as template", with(Tmpl(59, Prim(0, "x"))), ErrValue},
		{"nested twice", with(Tmpl(62, Tmpl(50, Prim(0, "x")))), ErrValue},
		{"duplicate", with(Prim(58, "DE")), ErrDuplicate},
		{"too long overall", with(Tmpl(80, Prim(0, "g"), Prim(1, strings.Repeat("a", 90))), Tmpl(81, Prim(0, "g"), Prim(1, strings.Repeat("a", 90))),
			Tmpl(82, Prim(0, "g"), Prim(1, strings.Repeat("a", 90))), Tmpl(83, Prim(0, "g"), Prim(1, strings.Repeat("a", 90))),
			Tmpl(84, Prim(0, "g"), Prim(1, strings.Repeat("a", 90)))), ErrTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Encode(tc.objs)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Encode = %q, %v; want %v", s, err, tc.want)
			}
		})
	}
}

func TestAmounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text  string
		exp   int
		minor int64
		ok    bool
	}{
		{"12.50", 2, 1250, true}, {"12.5", 2, 1250, true}, {"12", 2, 1200, true}, {"12.", 2, 1200, true},
		{".5", 2, 50, true}, {"100", 0, 100, true}, {"1.005", 3, 1005, true},
		{"1.005", 2, 0, false}, {"1.5", 0, 0, false}, {"0", 2, 0, false}, {"", 2, 0, false},
		{"9999999999.99", 2, 999999999999, true}, {"99999999999999", 0, 0, false}, {"1e5", 2, 0, false}, {"+1", 2, 0, false},
	}
	for _, tc := range cases {
		m, err := MinorUnits(tc.text, tc.exp)
		if (err == nil) != tc.ok || m != tc.minor {
			t.Errorf("MinorUnits(%q, %d) = %d, %v; want %d ok=%v", tc.text, tc.exp, m, err, tc.minor, tc.ok)
		}
		if tc.ok && tc.text == FormatAmount(tc.minor, tc.exp) {
			continue
		}
		if tc.ok {
			if back, err := MinorUnits(FormatAmount(tc.minor, tc.exp), tc.exp); err != nil || back != tc.minor {
				t.Errorf("FormatAmount(%d, %d) = %q does not read back", tc.minor, tc.exp, FormatAmount(tc.minor, tc.exp))
			}
		}
	}
	for _, tc := range []struct {
		minor int64
		exp   int
		want  string
	}{{1250, 2, "12.50"}, {5, 2, "0.05"}, {100, 0, "100"}, {1, 3, "0.001"}} {
		if got := FormatAmount(tc.minor, tc.exp); got != tc.want {
			t.Errorf("FormatAmount(%d, %d) = %q, want %q", tc.minor, tc.exp, got, tc.want)
		}
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"CNY", "EUR", "USD", "GBP", "CHF", "HKD", "SGD", "JPY", "KRW", "BHD", "KWD", "BRL", "THB", "INR", "IDR"} {
		c, ok := CurrencyByAlpha(a)
		if !ok {
			t.Errorf("%s unknown", a)
			continue
		}
		if back, ok := CurrencyByNumeric(c.Numeric); !ok || back != c {
			t.Errorf("%s: numeric %s maps back to %+v", a, c.Numeric, back)
		}
	}
	if c, _ := CurrencyByAlpha("EUR"); c.Numeric != "978" {
		t.Errorf("EUR = %s", c.Numeric)
	}
	if c, _ := CurrencyByAlpha("JPY"); c.Numeric != "392" || c.Exponent != 0 {
		t.Errorf("JPY = %+v", c)
	}
}

// TestGarbageNeverPanics feeds random bytes and random mutations of valid payloads.
func TestGarbageNeverPanics(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	base := []byte(withCRC(minimal))
	for i := 0; i < 20000; i++ {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, r.IntN(600))
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
		} else {
			b = append([]byte(nil), base...)
			for range 1 + r.IntN(3) {
				b[r.IntN(len(b))] = byte(r.IntN(256))
			}
		}
		if _, err := Parse(string(b)); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v for %q", err, b)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseErrorCases {
		f.Add(tc.input)
	}
	f.Add(withCRC(minimal))
	for _, p := range realWorld(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := c.Encode()
		if err != nil {
			t.Fatalf("a parsed code does not encode: %v", err)
		}
		c2, err := Parse(again)
		if err != nil || !reflect.DeepEqual(c2.Objects, c.Objects) {
			t.Fatalf("re-encoded code differs: %v", err)
		}
		_ = c.Summarize()
		_, _ = c.AmountMinor()
	})
}
