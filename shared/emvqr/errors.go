package emvqr

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error Parse and Encode return is an *Error wrapping exactly one of them;
// test with errors.Is.
var (
	ErrTooLong   = errors.New("emvqr: payload too long")
	ErrCharset   = errors.New("emvqr: character not allowed")
	ErrSyntax    = errors.New("emvqr: malformed data object")
	ErrLength    = errors.New("emvqr: data object length out of range")
	ErrDuplicate = errors.New("emvqr: duplicate data object")
	ErrOrder     = errors.New("emvqr: data object out of place")
	ErrCRC       = errors.New("emvqr: CRC does not match")
	ErrMissing   = errors.New("emvqr: mandatory data object missing")
	ErrValue     = errors.New("emvqr: invalid value")
	ErrCurrency  = errors.New("emvqr: unknown currency")
)

// Error says where a payload is wrong: Path is the data object's ID path ("62.05"; empty when the
// whole payload is concerned) and Offset the character offset of the object in the payload (-1 when
// unknown, e.g. for Encode).
type Error struct {
	Path   string
	Offset int
	Err    error  // one of the sentinels
	Detail string // human-readable detail
}

func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Path != "" {
		s += " (ID " + e.Path + ")"
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at character %d", e.Offset)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func errAt(sentinel error, path string, offset int, format string, args ...any) *Error {
	return &Error{Path: path, Offset: offset, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
