package bench

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Errors of ParseCounters, wrapped with the series' name.
var (
	// ErrSeriesMissing: a counter asked for has no sample in the text (a server that does not
	// export it: an older settlementd, a store without group commit, /metrics on another address).
	ErrSeriesMissing = errors.New("metrics: series missing")
	// ErrSeriesMalformed: a counter asked for has a sample that is not one count (a value that is
	// not a non-negative whole number, a broken label set, a second sample of the same name).
	ErrSeriesMalformed = errors.New("metrics: series malformed")
)

// ParseCounters returns the values of the counters names in text, the Prometheus text exposition
// format (what /metrics answers). It is tolerant of everything it was not asked about: comments,
// HELP and TYPE lines, other series, whatever their shape, are skipped unread, so a new series or a
// collector's quirk elsewhere does not break the bench. A series asked for must have exactly one
// sample (labels, if any, are skipped: a proxy may add some), whose value is a whole number from 0
// to 2^64 (counters are floats on the wire: 1.2e+06 is 1200000) and may be followed by a timestamp.
func ParseCounters(text []byte, names ...string) (map[string]uint64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	got := make(map[string]uint64, len(names))
	for len(text) > 0 {
		var line []byte
		line, text, _ = bytes.Cut(text, []byte("\n"))
		line = bytes.TrimSpace(line) // also a CR of a CRLF line end
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		end := bytes.IndexAny(line, "{ \t")
		if end < 0 {
			end = len(line)
		}
		name := string(line[:end])
		if !want[name] {
			continue
		}
		if _, dup := got[name]; dup {
			return nil, fmt.Errorf("%w: %s: more than one sample", ErrSeriesMalformed, name)
		}
		v, err := parseSample(line[end:])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrSeriesMalformed, name, err)
		}
		got[name] = v
	}
	for _, n := range names {
		if _, ok := got[n]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrSeriesMissing, n)
		}
	}
	return got, nil
}

// parseSample reads what follows a sample's name: an optional label set, the value, an optional
// timestamp.
func parseSample(rest []byte) (uint64, error) {
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) > 0 && rest[0] == '{' {
		n, err := labelSetLen(rest)
		if err != nil {
			return 0, err
		}
		rest = rest[n:]
	}
	fields := bytes.Fields(rest)
	if len(fields) == 0 || len(fields) > 2 {
		return 0, fmt.Errorf("want a value and at most a timestamp, got %d fields", len(fields))
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(string(fields[1]), 10, 64); err != nil {
			return 0, fmt.Errorf("timestamp %q is not whole milliseconds", fields[1])
		}
	}
	f, err := strconv.ParseFloat(string(fields[0]), 64)
	// 2^64 itself does not fit; NaN fails every comparison, so it lands here too.
	if err != nil || !(f >= 0 && f < math.MaxUint64) || f != math.Trunc(f) {
		return 0, fmt.Errorf("value %q is not a count", fields[0])
	}
	return uint64(f), nil
}

// labelSetLen is the length of the label set {...} at the start of b, up to its closing brace
// outside a quoted value (where \" and \\ are escapes).
func labelSetLen(b []byte) (int, error) {
	quoted := false
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case quoted && c == '\\':
			i++ // the escaped byte
		case c == '"':
			quoted = !quoted
		case !quoted && c == '}':
			return i + 1, nil
		}
	}
	return 0, errors.New("label set not closed")
}
