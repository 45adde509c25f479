package screen

import (
	"time"
)

// Visit is one approved payment of a customer at the campaign's merchant.
type Visit struct {
	At    time.Time
	Minor int64
}

// Facts is what the conditions may know about one customer: the visits to this merchant (any order),
// the (mcc, days) conditions of the set that hold, and whether an offline authorization is active.
type Facts struct {
	Visits     []Visit
	PaidInMCC  func(c Condition) bool // nil: none holds
	ActiveAuth bool
}

// Eval is the reference evaluation of s for one customer at now.
func (s Set) Eval(f Facts, now time.Time) bool {
	for _, g := range s.Groups {
		ok := true
		for _, c := range g {
			if !c.eval(f, now) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c Condition) eval(f Facts, now time.Time) bool {
	switch c.Type {
	case Visits, Spend:
		from := c.Window(now)
		var n int64
		for _, v := range f.Visits {
			if !v.At.Before(from) && !v.At.After(now) {
				if c.Type == Visits {
					n++
				} else {
					n += v.Minor
				}
			}
		}
		return n >= c.Lo() && n <= c.Hi()
	case DaysSinceLastVisit:
		var last time.Time
		for _, v := range f.Visits {
			if !v.At.After(now) && v.At.After(last) {
				last = v.At
			}
		}
		if last.IsZero() {
			return false
		}
		d := int64(now.Sub(last) / Day)
		return d >= c.Lo() && d <= c.Hi()
	case FirstTime, Returning:
		visited := false
		for _, v := range f.Visits {
			if !v.At.After(now) {
				visited = true
				break
			}
		}
		return visited == (c.Type == Returning)
	case MCC:
		return f.PaidInMCC != nil && f.PaidInMCC(Condition{Type: MCC, MCC: c.MCC, Days: c.Days})
	case ActiveAuthorization:
		return f.ActiveAuth
	}
	return false
}
