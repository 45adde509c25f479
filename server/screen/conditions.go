// Package screen is the typed screening condition set a merchant submits with a campaign, its strict
// JSON decoder, and the reference evaluator over one customer's facts.
//
// A Set is groups of conditions: a customer matches when every condition of at least one group holds
// (AND within a group, OR between groups). Conditions may only speak about the customer's activity with
// the campaign's own merchant, plus coarse facts (paid in a merchant category, holds an active offline
// authorization): never another merchant by name, never an account id, never arbitrary SQL. Stores
// screen with set-based SQL (pgstore) or indexes (boltstore); Eval is the reference they must agree
// with (storetest checks it).
package screen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Bounds on a Set. An absurd set is refused, not truncated.
const (
	MaxGroups             = 8
	MaxConditionsPerGroup = 8
	MaxDays               = 730               // windows up to two years
	MaxVisits             = 100_000           // a visit count bound beyond this is absurd
	MaxSpendMinor         = 1_000_000_000_000 // 10^12 minor units
	// MaxJSONLen bounds the encoded set the decoder reads.
	MaxJSONLen = 16 << 10
)

// Day is the unit of every window.
const Day = 24 * time.Hour

// Kind is the type of a condition.
type Kind string

// Condition kinds.
const (
	// Visits: approved payments at this merchant in the last Days days, Min ≤ n ≤ Max.
	Visits Kind = "visits"
	// Spend: the sum of those payments in minor units, Min ≤ sum ≤ Max.
	Spend Kind = "spend"
	// DaysSinceLastVisit: whole days since the newest payment at this merchant, Min ≤ d ≤ Max; a
	// customer who never paid here does not match (use FirstTime).
	DaysSinceLastVisit Kind = "days_since_last_visit"
	// FirstTime: never paid at this merchant. Returning: paid here at least once.
	FirstTime Kind = "first_time"
	Returning Kind = "returning"
	// MCC: paid at any merchant of category MCC (ISO 18245, four digits) in the last Days days.
	MCC Kind = "mcc"
	// ActiveAuthorization: holds an offline authorization that is neither expired nor revoked now.
	ActiveAuthorization Kind = "active_authorization"
)

// Errors. Every decoding or validation error wraps ErrInvalid and one precise cause.
var (
	ErrInvalid      = errors.New("screen: invalid conditions")
	ErrUnknownField = errors.New("unknown field")
	ErrUnknownKind  = errors.New("unknown condition type")
	ErrRange        = errors.New("value out of range")
	ErrTooMany      = errors.New("too many conditions")
	ErrMissing      = errors.New("required field missing")
	ErrNotAllowed   = errors.New("field not allowed for this condition type")
	ErrSyntax       = errors.New("malformed JSON")
)

// Condition is one test. Which fields are allowed depends on Type (see the kinds); Min and Max are
// inclusive and optional, but a visits, spend or days-since condition needs at least one.
type Condition struct {
	Type Kind   `json:"type"`
	Days int    `json:"days,omitempty"`
	Min  *int64 `json:"min,omitempty"`
	Max  *int64 `json:"max,omitempty"`
	MCC  string `json:"mcc,omitempty"`
}

// Group is conditions that must all hold.
type Group []Condition

// Set is groups of which at least one must hold.
type Set struct {
	Groups []Group `json:"groups"`
}

// Decode reads a Set strictly: unknown fields, trailing data, a set over the bounds and every invalid
// value are errors wrapping ErrInvalid.
func Decode(r io.Reader) (Set, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxJSONLen+1))
	if err != nil {
		return Set{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return DecodeBytes(b)
}

// DecodeBytes is Decode of a byte slice.
func DecodeBytes(b []byte) (Set, error) {
	if len(b) > MaxJSONLen {
		return Set{}, fmt.Errorf("%w: %w: more than %d bytes", ErrInvalid, ErrTooMany, MaxJSONLen)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Set
	if err := dec.Decode(&s); err != nil {
		if msg := err.Error(); len(msg) > 14 && msg[:14] == "json: unknown " {
			return Set{}, fmt.Errorf("%w: %w: %s", ErrInvalid, ErrUnknownField, msg[6:])
		}
		return Set{}, fmt.Errorf("%w: %w: %v", ErrInvalid, ErrSyntax, err)
	}
	if dec.More() {
		return Set{}, fmt.Errorf("%w: %w: data after the set", ErrInvalid, ErrSyntax)
	}
	if err := s.Validate(); err != nil {
		return Set{}, err
	}
	return s, nil
}

// Validate checks the bounds and that each condition has exactly the fields its type allows.
func (s Set) Validate() error {
	if len(s.Groups) == 0 {
		return fmt.Errorf("%w: %w: no groups", ErrInvalid, ErrMissing)
	}
	if len(s.Groups) > MaxGroups {
		return fmt.Errorf("%w: %w: %d groups (at most %d)", ErrInvalid, ErrTooMany, len(s.Groups), MaxGroups)
	}
	for gi, g := range s.Groups {
		if len(g) == 0 {
			return fmt.Errorf("%w: %w: group %d is empty", ErrInvalid, ErrMissing, gi)
		}
		if len(g) > MaxConditionsPerGroup {
			return fmt.Errorf("%w: %w: group %d has %d conditions (at most %d)", ErrInvalid, ErrTooMany, gi, len(g), MaxConditionsPerGroup)
		}
		for ci, c := range g {
			if err := c.validate(); err != nil {
				return fmt.Errorf("%w: group %d condition %d (%q): %w", ErrInvalid, gi, ci, truncate(string(c.Type)), err)
			}
		}
	}
	return nil
}

func (c Condition) validate() error {
	var maxBound int64
	wantDays, wantBounds, wantMCC := false, false, false
	switch c.Type {
	case Visits:
		wantDays, wantBounds, maxBound = true, true, MaxVisits
	case Spend:
		wantDays, wantBounds, maxBound = true, true, MaxSpendMinor
	case DaysSinceLastVisit:
		wantBounds, maxBound = true, 10*MaxDays
	case MCC:
		wantDays, wantMCC = true, true
	case FirstTime, Returning, ActiveAuthorization:
	case "":
		return fmt.Errorf("%w: type", ErrMissing)
	default:
		return ErrUnknownKind
	}
	if wantDays {
		if c.Days < 1 || c.Days > MaxDays {
			return fmt.Errorf("%w: days %d (1..%d)", ErrRange, c.Days, MaxDays)
		}
	} else if c.Days != 0 {
		return fmt.Errorf("%w: days", ErrNotAllowed)
	}
	if wantBounds {
		if c.Min == nil && c.Max == nil {
			return fmt.Errorf("%w: min or max", ErrMissing)
		}
		for _, b := range []*int64{c.Min, c.Max} {
			if b != nil && (*b < 0 || *b > maxBound) {
				return fmt.Errorf("%w: bound %d (0..%d)", ErrRange, *b, maxBound)
			}
		}
		if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
			return fmt.Errorf("%w: min %d > max %d", ErrRange, *c.Min, *c.Max)
		}
	} else if c.Min != nil || c.Max != nil {
		return fmt.Errorf("%w: min/max", ErrNotAllowed)
	}
	if wantMCC {
		if !ValidMCC(c.MCC) {
			return fmt.Errorf("%w: mcc %q (four digits)", ErrRange, truncate(c.MCC))
		}
	} else if c.MCC != "" {
		return fmt.Errorf("%w: mcc", ErrNotAllowed)
	}
	return nil
}

// ValidMCC reports whether s is a four-digit merchant category code.
func ValidMCC(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Lo and Hi are the inclusive bounds with the open ends filled in.
func (c Condition) Lo() int64 {
	if c.Min == nil {
		return 0
	}
	return *c.Min
}

// Hi is the inclusive upper bound (math.MaxInt64 when open).
func (c Condition) Hi() int64 {
	if c.Max == nil {
		return 1<<63 - 1
	}
	return *c.Max
}

// Window is the start of a condition's window at now: payments at or after it count.
func (c Condition) Window(now time.Time) time.Time { return now.Add(-time.Duration(c.Days) * Day) }

// MaxWindow is the longest Days of the merchant-activity conditions of s (0 if none).
func (s Set) MaxWindow() int {
	n := 0
	for _, g := range s.Groups {
		for _, c := range g {
			if (c.Type == Visits || c.Type == Spend) && c.Days > n {
				n = c.Days
			}
		}
	}
	return n
}

// MCCs lists the distinct (mcc, days) pairs s asks about.
func (s Set) MCCs() []Condition {
	var out []Condition
	seen := map[Condition]bool{}
	for _, g := range s.Groups {
		for _, c := range g {
			if c.Type == MCC {
				k := Condition{Type: MCC, MCC: c.MCC, Days: c.Days}
				if !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	return out
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
