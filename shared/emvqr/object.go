package emvqr

import (
	"strconv"
	"strings"
)

// Limits of the format.
const (
	// MaxLen is the most characters a payload may have (EMV MPM v1.1 §4.7).
	MaxLen = 512
	// MaxValueLen is the most characters one value may have: the length field has two digits.
	MaxValueLen = 99
)

// Top-level IDs (EMV MPM v1.1 §4.7 table 3.1).
const (
	IDPayloadFormat     = 0
	IDInitiation        = 1
	IDAccountFirst      = 2  // 02..25: primitive merchant account information of the card schemes
	IDTemplateFirst     = 26 // 26..51: merchant account information templates
	IDTemplateLast      = 51
	IDMCC               = 52
	IDCurrency          = 53
	IDAmount            = 54
	IDTipIndicator      = 55
	IDConvenienceFixed  = 56
	IDConveniencePct    = 57
	IDCountry           = 58
	IDMerchantName      = 59
	IDMerchantCity      = 60
	IDPostalCode        = 61
	IDAdditionalData    = 62
	IDCRC               = 63
	IDLanguage          = 64
	IDUnreservedFirst   = 80 // 80..99: unreserved templates, e.g. stillpay's order signature
	IDUnreservedLast    = 99
	GUIID               = 0 // sub-ID of the globally unique identifier in templates 26..51 and 80..99
	InitiationStatic    = "11"
	InitiationDynamic   = "12"
	PayloadFormatV1     = "01"
	TipPrompt           = "01" // tag 55 values
	TipFixed            = "02"
	TipPercentage       = "03"
	LanguagePreference  = 0 // sub-IDs of template 64
	LanguageName        = 1
	LanguageCity        = 2
	AddBillNumber       = 1 // sub-IDs of template 62
	AddMobileNumber     = 2
	AddStoreLabel       = 3
	AddLoyaltyNumber    = 4
	AddReferenceLabel   = 5
	AddCustomerLabel    = 6
	AddTerminalLabel    = 7
	AddPurpose          = 8
	AddConsumerDataReq  = 9
	addTemplateSubFirst = 50 // 62's sub-IDs 50..99 are payment-system templates, kept as raw values
)

// Object is one data object. A primitive has a Value; a template has Sub (its objects in order) and
// an empty Value. Which IDs are templates is fixed by the specification (IsTemplate).
type Object struct {
	ID    int
	Value string
	Sub   []Object
}

// Prim returns a primitive object.
func Prim(id int, value string) Object { return Object{ID: id, Value: value} }

// Tmpl returns a template object holding sub.
func Tmpl(id int, sub ...Object) Object { return Object{ID: id, Sub: sub} }

// IsTemplate reports whether top-level ID id is a template: 26..51, 62, 64 and 80..99.
func IsTemplate(id int) bool {
	return (id >= IDTemplateFirst && id <= IDTemplateLast) || id == IDAdditionalData || id == IDLanguage ||
		(id >= IDUnreservedFirst && id <= IDUnreservedLast)
}

// Lookup returns the first sub-object of template o with ID id.
func (o Object) Lookup(id int) (Object, bool) { return lookup(o.Sub, id) }

// SubValue returns the value of sub-object id of template o, "" when absent.
func (o Object) SubValue(id int) string {
	s, _ := o.Lookup(id)
	return s.Value
}

// GUI returns a template's globally unique identifier (sub-ID 00).
func (o Object) GUI() string { return o.SubValue(GUIID) }

func lookup(objs []Object, id int) (Object, bool) {
	for _, o := range objs {
		if o.ID == id {
			return o, true
		}
	}
	return Object{}, false
}

// encodeList writes objs as ID–length–value. Lengths count characters.
func encodeList(b *strings.Builder, objs []Object, path string) error {
	for _, o := range objs {
		p := joinPath(path, o.ID)
		if o.ID < 0 || o.ID > 99 {
			return errAt(ErrSyntax, p, -1, "ID %d is not two digits", o.ID)
		}
		v := o.Value
		if o.Sub != nil || (path == "" && IsTemplate(o.ID)) {
			if o.Value != "" {
				return errAt(ErrValue, p, -1, "a template has sub-objects, not a value")
			}
			var sb strings.Builder
			if err := encodeList(&sb, o.Sub, p); err != nil {
				return err
			}
			v = sb.String()
		}
		n := runeCount(v)
		if n < 1 || n > MaxValueLen {
			return errAt(ErrLength, p, -1, "value of %d characters (1..%d)", n, MaxValueLen)
		}
		b.WriteString(twoDigits(o.ID))
		b.WriteString(twoDigits(n))
		b.WriteString(v)
	}
	return nil
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func joinPath(path string, id int) string {
	if path == "" {
		return twoDigits(id)
	}
	return path + "." + twoDigits(id)
}

func runeCount(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}
