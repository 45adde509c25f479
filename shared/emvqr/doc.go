// Package emvqr reads and writes EMVCo Merchant-Presented Mode QR payloads (EMV QR Code
// Specification for Payment Systems, Merchant-Presented Mode, v1.1): the format behind Brazil's Pix
// BR Code, Thailand's PromptPay, Singapore's SGQR, India's BharatQR, Indonesia's QRIS, UnionPay QR
// and stillpay's own orders (shared/order).
//
// A payload is a list of data objects, each an ID (two digits), a length (two digits, 01..99,
// counted in characters) and a value. Some IDs are templates whose value is itself such a list:
// merchant account information 26..51, additional data 62, merchant information in another language
// 64, and the unreserved templates 80..99. Tag 00 (payload format indicator, "01") comes first and
// tag 63 (CRC-16/CCITT-FALSE over everything before the checksum, "6304" included, as UTF-8 bytes)
// comes last.
//
// # API
//
//	code, err := emvqr.Parse(text)          // strict; errors are *emvqr.Error wrapping a sentinel
//	code.MerchantName(), code.MerchantCity(), code.Country()
//	code.Currency()                          // emvqr.Currency{Alpha, Numeric, Exponent}
//	code.Amount()                            // the amount as written, "" when the payer enters it
//	code.AmountMinor()                       // int64 minor units of Currency
//	code.Static()                            // point of initiation "11"
//	code.Template(26), code.AccountByGUI("br.gov.bcb.pix")
//	code.Summarize()                         // Summary: name, city, country, currency, amount, GUIs
//
//	text, err := emvqr.Encode(objects)       // validates, appends 63 with the CRC
//
// A Code is the ordered list of top-level Objects (without the CRC object). Build one with
// Prim(id, value) and Tmpl(id, sub...), then Encode; Parse(Encode(objs)) gives back the same list.
//
// # Strictness
//
// Parse refuses, each with a typed error (errors.Is against the sentinels in errors.go, errors.As
// *Error for the tag path and character offset): more than MaxLen characters (ErrTooLong), invalid
// UTF-8 or a character outside the allowed set (ErrCharset), an ID or length that is not two digits
// or a length of zero or past the end of its template (ErrLength, ErrSyntax), a duplicate ID at any
// level (ErrDuplicate), 00 not first or 63 not last (ErrOrder), a CRC mismatch (ErrCRC), a missing
// mandatory object — 00, a merchant account 02..51, 53, 58, 63 — (ErrMissing; the specification
// also makes 52, 59 and 60 mandatory, but Thailand's PromptPay codes omit them, so Parse accepts
// codes without them and shared/order requires them), and
// field values of the wrong form (ErrValue): 00 not "01", 01 not "11"/"12", MCC not 4 digits,
// currency not a known ISO 4217 numeric code (ErrCurrency), amount not digits with at most one '.'
// or zero, country not two upper-case letters, names and cities longer than the specification
// allows, a template 26..51 without its globally unique identifier (sub-ID 00).
//
// Values outside template 64 must be printable ASCII (0x20..0x7E, the specification's
// "alphanumeric special" set); inside 64 they may be any printable UTF-8, and lengths count
// characters (runes), as the specification says. Parse never panics and reads at most MaxLen
// characters of its input.
package emvqr
