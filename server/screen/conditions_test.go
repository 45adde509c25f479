package screen

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// decodeCases is the table TestDecode checks and FuzzDecode starts from.
var decodeCases = []struct {
	name string
	in   string
	want error // nil: valid
}{
	{"visits min", `{"groups":[[{"type":"visits","days":30,"min":2}]]}`, nil},
	{"two groups", `{"groups":[[{"type":"spend","days":90,"min":5000},{"type":"returning"}],[{"type":"first_time"},{"type":"mcc","mcc":"5812","days":30}]]}`, nil},
	{"days since and auth", `{"groups":[[{"type":"days_since_last_visit","min":14,"max":60},{"type":"active_authorization"}]]}`, nil},
	{"unknown field", `{"groups":[[{"type":"visits","days":30,"min":2,"sql":"1=1"}]]}`, ErrUnknownField},
	{"unknown top field", `{"groups":[],"where":"x"}`, ErrUnknownField},
	{"unknown type", `{"groups":[[{"type":"account_id"}]]}`, ErrUnknownKind},
	{"negative window", `{"groups":[[{"type":"visits","days":-1,"min":1}]]}`, ErrRange},
	{"zero window", `{"groups":[[{"type":"spend","min":1}]]}`, ErrRange},
	{"absurd window", `{"groups":[[{"type":"visits","days":100000,"min":1}]]}`, ErrRange},
	{"absurd count", `{"groups":[[{"type":"visits","days":30,"min":1000000000}]]}`, ErrRange},
	{"negative spend", `{"groups":[[{"type":"spend","days":30,"min":-5}]]}`, ErrRange},
	{"min over max", `{"groups":[[{"type":"visits","days":30,"min":5,"max":2}]]}`, ErrRange},
	{"no bounds", `{"groups":[[{"type":"visits","days":30}]]}`, ErrMissing},
	{"missing type", `{"groups":[[{"days":30}]]}`, ErrMissing},
	{"bad mcc", `{"groups":[[{"type":"mcc","mcc":"58a2","days":30}]]}`, ErrRange},
	{"mcc on visits", `{"groups":[[{"type":"visits","days":3,"min":1,"mcc":"5812"}]]}`, ErrNotAllowed},
	{"days on first_time", `{"groups":[[{"type":"first_time","days":3}]]}`, ErrNotAllowed},
	{"no groups", `{"groups":[]}`, ErrMissing},
	{"empty group", `{"groups":[[]]}`, ErrMissing},
	{"too many groups", `{"groups":[` + strings.Repeat(`[{"type":"returning"}],`, MaxGroups) + `[{"type":"returning"}]]}`, ErrTooMany},
	{"10,000 conditions", `{"groups":[[` + strings.Repeat(`{"type":"returning"},`, 9999) + `{"type":"returning"}]]}`, ErrTooMany},
	{"trailing", `{"groups":[[{"type":"returning"}]]} {}`, ErrSyntax},
	{"not json", `groups`, ErrSyntax},
	{"wrong type", `{"groups":[[{"type":"visits","days":"30","min":1}]]}`, ErrSyntax},
}

func TestDecode(t *testing.T) {
	for _, c := range decodeCases {
		_, err := DecodeBytes([]byte(c.in))
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want ErrInvalid and %v", c.name, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeBytes(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if s.Validate() != nil || len(s.Groups) > MaxGroups {
			t.Fatalf("accepted an invalid set %+v", s)
		}
		s.Eval(Facts{Visits: []Visit{{At: time.Unix(0, 0), Minor: 1}}}, time.Unix(1e9, 0))
	})
}

func ptr(v int64) *int64 { return &v }

func TestEval(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * Day) }
	regular := Facts{Visits: []Visit{{ago(1), 1000}, {ago(10), 2500}, {ago(40), 9000}}}
	lapsed := Facts{Visits: []Visit{{ago(100), 500}}, ActiveAuth: true}
	stranger := Facts{PaidInMCC: func(c Condition) bool { return c.MCC == "5812" && c.Days >= 7 }}
	for _, c := range []struct {
		name string
		set  Set
		want [3]bool // regular, lapsed, stranger
	}{
		{"visits ≥ 2 in 30d", Set{[]Group{{{Type: Visits, Days: 30, Min: ptr(2)}}}}, [3]bool{true, false, false}},
		{"visits ≤ 0 in 30d", Set{[]Group{{{Type: Visits, Days: 30, Max: ptr(0)}}}}, [3]bool{false, true, true}},
		{"window edge is inclusive", Set{[]Group{{{Type: Visits, Days: 10, Min: ptr(2)}}}}, [3]bool{true, false, false}},
		{"spend ≥ 3500 in 30d", Set{[]Group{{{Type: Spend, Days: 30, Min: ptr(3500)}}}}, [3]bool{true, false, false}},
		{"spend ≥ 3501 in 30d", Set{[]Group{{{Type: Spend, Days: 30, Min: ptr(3501)}}}}, [3]bool{false, false, false}},
		{"days since ≥ 60", Set{[]Group{{{Type: DaysSinceLastVisit, Min: ptr(60)}}}}, [3]bool{false, true, false}},
		{"first time", Set{[]Group{{{Type: FirstTime}}}}, [3]bool{false, false, true}},
		{"returning with auth", Set{[]Group{{{Type: Returning}, {Type: ActiveAuthorization}}}}, [3]bool{false, true, false}},
		{"mcc or regular", Set{[]Group{{{Type: MCC, MCC: "5812", Days: 30}}, {{Type: Visits, Days: 2, Min: ptr(1)}}}}, [3]bool{true, false, true}},
	} {
		for i, f := range []Facts{regular, lapsed, stranger} {
			if got := c.set.Eval(f, now); got != c.want[i] {
				t.Errorf("%s, customer %d: %v, want %v", c.name, i, got, c.want[i])
			}
		}
		if err := c.set.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
