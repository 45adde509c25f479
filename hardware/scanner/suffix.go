package scanner

import (
	"fmt"
	"strings"
)

// Suffix is the terminator a scanner appends to each barcode.
type Suffix int

// Suffixes a scanner can be programmed with. SuffixAuto ends a frame at CR or
// LF, which also copes with CRLF and LFCR.
const (
	SuffixAuto Suffix = iota
	SuffixCR
	SuffixLF
	SuffixCRLF
)

// ParseSuffix reads "CR", "LF", "CRLF" or "auto" (any case; "" means auto).
func ParseSuffix(s string) (Suffix, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "AUTO":
		return SuffixAuto, nil
	case "CR", `\R`:
		return SuffixCR, nil
	case "LF", `\N`:
		return SuffixLF, nil
	case "CRLF", `\R\N`:
		return SuffixCRLF, nil
	}
	return 0, fmt.Errorf("%w: suffix %q, want CR, LF, CRLF or auto", ErrInvalidConfig, s)
}

func (s Suffix) String() string {
	switch s {
	case SuffixAuto:
		return "auto"
	case SuffixCR:
		return "CR"
	case SuffixLF:
		return "LF"
	case SuffixCRLF:
		return "CRLF"
	}
	return fmt.Sprintf("Suffix(%d)", int(s))
}

// Bytes returns the terminator bytes a scanner sends for s; SuffixAuto has
// none of its own and returns CR.
func (s Suffix) Bytes() []byte {
	switch s {
	case SuffixLF:
		return []byte{'\n'}
	case SuffixCRLF:
		return []byte{'\r', '\n'}
	}
	return []byte{'\r'}
}
