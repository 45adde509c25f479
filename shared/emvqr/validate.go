package emvqr

import (
	"strings"
	"unicode"
)

// Maximum value lengths the specification sets (EMV MPM v1.1 §4.7, §4.8).
const (
	maxGUILen          = 32
	maxAmountLen       = 13
	maxPercentLen      = 5
	maxNameLen         = 25
	maxCityLen         = 15
	maxPostalLen       = 10
	maxAdditionalLen   = 25 // 62's sub-objects 01..09
	maxLanguageNameLen = 25
)

// validate applies every rule that does not depend on the text: order, duplicates, character sets,
// per-ID value forms and the mandatory objects. Parse and Encode share it.
func validate(objs []Object) error {
	if len(objs) == 0 || objs[0].ID != IDPayloadFormat {
		return errAt(ErrOrder, "00", -1, "the payload must start with ID 00")
	}
	seen := make(map[int]bool, len(objs))
	hasAccount := false
	for _, o := range objs {
		p := twoDigits(o.ID)
		if o.ID < 0 || o.ID > 99 {
			return errAt(ErrSyntax, "", -1, "ID %d is not two digits", o.ID)
		}
		if o.ID == IDCRC {
			return errAt(ErrOrder, p, -1, "the CRC is the last object and is computed, not given")
		}
		if seen[o.ID] {
			return errAt(ErrDuplicate, p, -1, "ID %s appears twice", p)
		}
		seen[o.ID] = true
		if o.ID >= IDAccountFirst && o.ID <= IDTemplateLast {
			hasAccount = true
		}
		if err := checkObject(o, p); err != nil {
			return err
		}
	}
	// 52, 59 and 60 are mandatory in EMV MPM v1.1 too, but Thailand's PromptPay codes (Thai QR
	// Payment Standard) leave them out; a reader must still recognise those codes as valid other
	// schemes' codes. stillpay's own orders require them (shared/order).
	for _, id := range []int{IDCurrency, IDCountry} {
		if !seen[id] {
			return errAt(ErrMissing, twoDigits(id), -1, "mandatory object absent")
		}
	}
	if !hasAccount {
		return errAt(ErrMissing, "02-51", -1, "no merchant account information")
	}
	tip, _ := lookup(objs, IDTipIndicator)
	if seen[IDConvenienceFixed] && tip.Value != TipFixed {
		return errAt(ErrValue, "56", -1, "a fixed convenience fee needs 55 = %q", TipFixed)
	}
	if seen[IDConveniencePct] && tip.Value != TipPercentage {
		return errAt(ErrValue, "57", -1, "a percentage convenience fee needs 55 = %q", TipPercentage)
	}
	return nil
}

// checkObject checks one top-level object: its shape (template or primitive), its characters and
// its value.
func checkObject(o Object, p string) error {
	if IsTemplate(o.ID) {
		if o.Value != "" || len(o.Sub) == 0 {
			return errAt(ErrValue, p, -1, "a template needs sub-objects")
		}
		return checkTemplate(o, p)
	}
	if o.Sub != nil {
		return errAt(ErrValue, p, -1, "ID %s is a primitive, not a template", p)
	}
	if err := checkASCII(o.Value, p); err != nil {
		return err
	}
	v := o.Value
	bad := func(format string, args ...any) error { return errAt(ErrValue, p, -1, format, args...) }
	switch o.ID {
	case IDPayloadFormat:
		if v != PayloadFormatV1 {
			return bad("payload format %q, want %q", v, PayloadFormatV1)
		}
	case IDInitiation:
		if v != InitiationStatic && v != InitiationDynamic {
			return bad("point of initiation %q, want 11 or 12", v)
		}
	case IDMCC:
		if len(v) != 4 || !allDigits(v) {
			return bad("merchant category code %q is not 4 digits", v)
		}
	case IDCurrency:
		if len(v) != 3 || !allDigits(v) {
			return bad("currency %q is not 3 digits", v)
		}
		if _, ok := CurrencyByNumeric(v); !ok {
			return errAt(ErrCurrency, p, -1, "ISO 4217 numeric code %q", v)
		}
	case IDAmount, IDConvenienceFixed:
		if err := checkAmount(v, maxAmountLen); err != nil {
			return bad("%v", err)
		}
	case IDConveniencePct:
		if err := checkAmount(v, maxPercentLen); err != nil {
			return bad("%v", err)
		}
	case IDTipIndicator:
		if v != TipPrompt && v != TipFixed && v != TipPercentage {
			return bad("tip indicator %q, want 01, 02 or 03", v)
		}
	case IDCountry:
		if len(v) != 2 || !isUpper(v[0]) || !isUpper(v[1]) {
			return bad("country %q is not two upper-case letters", v)
		}
	case IDMerchantName:
		return maxLen(v, maxNameLen, p)
	case IDMerchantCity:
		return maxLen(v, maxCityLen, p)
	case IDPostalCode:
		return maxLen(v, maxPostalLen, p)
	}
	return nil
}

func checkTemplate(o Object, p string) error {
	seen := make(map[int]bool, len(o.Sub))
	for _, s := range o.Sub {
		sp := joinPath(p, s.ID)
		if s.ID < 0 || s.ID > 99 {
			return errAt(ErrSyntax, p, -1, "sub-ID %d is not two digits", s.ID)
		}
		if s.Sub != nil {
			return errAt(ErrValue, sp, -1, "templates nest one level here")
		}
		if seen[s.ID] {
			return errAt(ErrDuplicate, sp, -1, "sub-ID %s appears twice", twoDigits(s.ID))
		}
		seen[s.ID] = true
		if o.ID == IDLanguage {
			if err := checkPrintable(s.Value, sp); err != nil {
				return err
			}
		} else if err := checkASCII(s.Value, sp); err != nil {
			return err
		}
		switch {
		case o.ID == IDAdditionalData && s.ID >= AddBillNumber && s.ID <= AddConsumerDataReq:
			if err := maxLen(s.Value, maxAdditionalLen, sp); err != nil {
				return err
			}
		case o.ID == IDLanguage && s.ID == LanguagePreference:
			if len(s.Value) != 2 || !isLower(s.Value[0]) && !isUpper(s.Value[0]) || !isLower(s.Value[1]) && !isUpper(s.Value[1]) {
				return errAt(ErrValue, sp, -1, "language %q is not two letters (ISO 639)", s.Value)
			}
		case o.ID == IDLanguage && s.ID == LanguageName:
			if err := maxLen(s.Value, maxLanguageNameLen, sp); err != nil {
				return err
			}
		case o.ID == IDLanguage && s.ID == LanguageCity:
			if err := maxLen(s.Value, maxCityLen, sp); err != nil {
				return err
			}
		case s.ID == GUIID && hasGUI(o.ID):
			if err := maxLen(s.Value, maxGUILen, sp); err != nil {
				return err
			}
		}
	}
	if hasGUI(o.ID) && !seen[GUIID] {
		return errAt(ErrMissing, joinPath(p, GUIID), -1, "template without its globally unique identifier")
	}
	if o.ID == IDLanguage && (!seen[LanguagePreference] || !seen[LanguageName]) {
		return errAt(ErrMissing, p, -1, "the language template needs a language (00) and a name (01)")
	}
	return nil
}

// hasGUI reports whether template id starts with a globally unique identifier.
func hasGUI(id int) bool {
	return (id >= IDTemplateFirst && id <= IDTemplateLast) || (id >= IDUnreservedFirst && id <= IDUnreservedLast)
}

// checkAmount accepts digits with at most one '.', not zero, e.g. "12.50", "100", "10.".
func checkAmount(v string, max int) error {
	if len(v) == 0 || len(v) > max {
		return errAt(ErrValue, "", -1, "amount %q has %d characters (1..%d)", v, len(v), max)
	}
	intPart, frac, _ := strings.Cut(v, ".")
	if (intPart == "" && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return errAt(ErrValue, "", -1, "amount %q is not digits with an optional '.'", v)
	}
	if strings.Trim(intPart+frac, "0") == "" {
		return errAt(ErrValue, "", -1, "amount %q is zero", v)
	}
	return nil
}

func maxLen(v string, n int, p string) error {
	if c := runeCount(v); c > n {
		return errAt(ErrValue, p, -1, "%d characters, at most %d", c, n)
	}
	return nil
}

// checkASCII accepts the "alphanumeric special" set: printable ASCII 0x20..0x7E.
func checkASCII(v, p string) error {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7E {
			return errAt(ErrCharset, p, -1, "byte 0x%02X (printable ASCII only outside template 64)", v[i])
		}
	}
	return nil
}

// checkPrintable accepts printable UTF-8 (template 64 carries names in other scripts).
func checkPrintable(v, p string) error {
	for _, r := range v {
		if r == 0xFFFD || !unicode.IsPrint(r) {
			return errAt(ErrCharset, p, -1, "character %U is not printable", r)
		}
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

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
