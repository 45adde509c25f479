package protocol

import (
	"errors"
	"fmt"
	"net/http"
	"unicode"
	"unicode/utf8"
)

// Bounds of the free text that crosses the API. Every implementation (the register's local API,
// posagent before it queues a sale, settlementd's service and every store) checks text with the
// functions below, so a value one of them accepts is accepted by all of them: a sale the register
// could start can never block a terminal's queue at the server.
const (
	MaxReferenceLen   = 64  // the register's reference for a sale, bytes
	MaxNameLen        = 128 // merchant, terminal and user names, bytes
	MaxReceiptLines   = 8   // receipt header lines a merchant may set
	MaxReceiptLineLen = 64  // bytes per receipt header line
	MaxHostnameLen    = 255 // a terminal's hostname at enrollment
	MaxVersionLen     = 64  // a terminal's software version at enrollment
	MaxEnrollCodeLen  = 64  // an enrollment code as typed
	MaxPasswordLen    = 256 // bytes hashed: argon2 takes any length, a request should not
	// MaxOrderReferenceLen bounds an order's reference, which goes into its QR code (EMVCo
	// additional data 62.05; shared/order.MaxReferenceLen is the same figure, checked by a test).
	MaxOrderReferenceLen = 25
)

// ErrInvalidField is the sentinel every *FieldError matches with errors.Is.
var ErrInvalidField = errors.New("invalid field")

// FieldError says which field is wrong and why. Field is the JSON name of the field (with a
// dotted or indexed path for nested values, e.g. "receipt_header[2]").
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + " " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidField) hold.
func (e *FieldError) Unwrap() error { return ErrInvalidField }

// FieldProblem is the 400 invalid_field problem of the *FieldError in err's chain, naming the field,
// or nil when err holds none. Every HTTP server of the system answers a bad field with it.
func FieldProblem(err error) *Problem {
	if err == nil {
		return nil // every accepted field of every request: errors.As would put fe on the heap first
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		return nil
	}
	return &Problem{Title: http.StatusText(http.StatusBadRequest), Status: http.StatusBadRequest, Code: CodeInvalidField,
		Detail: fe.Error(), Field: fe.Field}
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// CheckID checks a caller-chosen id (user, account, merchant, terminal, authorization, transaction):
// 1..MaxIDLen printable ASCII characters without spaces and without '/'. Ids become store keys, log
// fields and receipt text; '/' separates the parts of ledger references built from them.
func CheckID(field, id string) error {
	if id == "" {
		return fieldErr(field, "is required: 1 to %d printable ASCII characters", MaxIDLen)
	}
	if len(id) > MaxIDLen {
		return fieldErr(field, "is %d bytes, at most %d", len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return fieldErr(field, "has the byte 0x%02x at offset %d: only printable ASCII without spaces and '/' is allowed", c, i)
		}
	}
	return nil
}

// CheckOptionalID is CheckID for an id that may be left empty (a filter, an optional reference).
func CheckOptionalID(field, id string) error {
	if id == "" {
		return nil
	}
	return CheckID(field, id)
}

// CheckText checks free text: at most maxLen bytes of valid UTF-8 whose every character is printable
// (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space). Control
// characters (NUL, newlines, escape sequences), invalid UTF-8 and invisible format characters are
// refused: the text goes to databases that refuse NUL, to logs, and to receipt printers that would
// obey an escape sequence. Empty text is allowed; callers that need a value say so themselves.
func CheckText(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return fieldErr(field, "is %d bytes, at most %d", len(s), maxLen)
	}
	// Printable ASCII, the usual text (and every payment's QR payload), is checked byte by byte;
	// the rune loop below starts at the first other byte. Same verdicts, same messages.
	i := 0
	for ; i < len(s) && s[i] < utf8.RuneSelf; i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return fieldErr(field, "has the unprintable character %U at byte %d", rune(c), i)
		}
	}
	for j, r := range s[i:] {
		i := i + j
		switch {
		case r == utf8.RuneError && isBadUTF8(s[i:]):
			return fieldErr(field, "is not valid UTF-8 at byte %d", i)
		case !unicode.IsPrint(r):
			return fieldErr(field, "has the unprintable character %U at byte %d", r, i)
		}
	}
	return nil
}

// isBadUTF8 reports whether s starts with an invalid encoding (rather than an encoded U+FFFD).
func isBadUTF8(s string) bool {
	_, size := utf8.DecodeRuneInString(s)
	return size <= 1
}

// CheckASCIIText checks text that goes into a QR code's EMVCo fields (an order's reference): at
// most maxLen bytes of printable ASCII, space included (0x20..0x7E), the EMVCo character set.
func CheckASCIIText(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return fieldErr(field, "is %d bytes, at most %d", len(s), maxLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return fieldErr(field, "has the byte 0x%02x at offset %d: only printable ASCII goes into the QR code", c, i)
		}
	}
	return nil
}

// CheckRequiredText is CheckText for text that must not be empty.
func CheckRequiredText(field, s string, maxLen int) error {
	if s == "" {
		return fieldErr(field, "is required: 1 to %d bytes of printable text", maxLen)
	}
	return CheckText(field, s, maxLen)
}

// CheckLines checks a list of at most maxLines lines of CheckText text; the error names the line as
// field[i].
func CheckLines(field string, lines []string, maxLines, maxLen int) error {
	if len(lines) > maxLines {
		return fieldErr(field, "has %d lines, at most %d", len(lines), maxLines)
	}
	for i, l := range lines {
		if err := CheckText(fmt.Sprintf("%s[%d]", field, i), l, maxLen); err != nil {
			return err
		}
	}
	return nil
}
