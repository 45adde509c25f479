// Package lift measures a campaign against its randomized holdout: conversion of each group, the
// absolute lift with a Newcombe hybrid-score 95% interval, the relative lift with a Katz log interval,
// incremental revenue, and the day-by-day conversion curves (drawn by Chart as SVG).
//
// A member converts when they paid at the merchant at least once in the campaign window. Rates are
// proportions (float64); money stays int64 minor units (incremental revenue is computed exactly with
// big integers and rounded toward zero).
package lift

import (
	"math"
	"math/big"
	"slices"
	"time"
)

// Z95 is the standard normal quantile for a two-sided 95% interval.
const Z95 = 1.959963984540054

// Method names the interval methods, as reports state them.
const (
	MethodAbsolute = "Newcombe hybrid score interval (Wilson score per group), 95%"
	MethodRelative = "Katz log interval for the ratio of proportions, 95%"
)

// Member is one matched account of a campaign.
type Member struct {
	UserID  string
	Holdout bool
}

// Purchase is one payment at the campaign's merchant.
type Purchase struct {
	UserID string
	At     time.Time
	Minor  int64
}

// Group is one arm's figures.
type Group struct {
	Members    int     `json:"members"`
	Converters int     `json:"converters"` // members with at least one purchase in the window
	Purchases  int     `json:"purchases"`
	Revenue    int64   `json:"revenue_minor"`
	Rate       float64 `json:"conversion_rate"`
	RateLow    float64 `json:"rate_ci_low"` // Wilson 95%
	RateHigh   float64 `json:"rate_ci_high"`
}

// Interval is an estimate with its 95% interval; Defined is false when the data cannot give one (an
// empty group, or no converter where a ratio needs one).
type Interval struct {
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"ci_low"`
	High     float64 `json:"ci_high"`
	Defined  bool    `json:"defined"`
	Method   string  `json:"method"`
}

// Day is the cumulative conversion of each arm at the end of one day of the campaign.
type Day struct {
	Day       int     `json:"day"` // 1-based
	Treatment float64 `json:"treatment_rate"`
	Holdout   float64 `json:"holdout_rate"`
}

// Report is the measurement of one campaign.
type Report struct {
	Treatment          Group    `json:"treatment"`
	Holdout            Group    `json:"holdout"`
	AbsoluteLift       Interval `json:"absolute_lift"` // treatment rate − holdout rate
	RelativeLift       Interval `json:"relative_lift"` // treatment rate / holdout rate − 1
	IncrementalRevenue int64    `json:"incremental_revenue_minor"`
	Days               []Day    `json:"days"`
}

// Compute measures a campaign: purchases with At in [start, end) by the members count.
func Compute(members []Member, purchases []Purchase, start, end time.Time) Report {
	type acc struct {
		holdout bool
		first   time.Time
		n       int
		rev     int64
	}
	by := make(map[string]*acc, len(members))
	for _, m := range members {
		by[m.UserID] = &acc{holdout: m.Holdout}
	}
	for _, p := range purchases {
		a := by[p.UserID]
		if a == nil || p.At.Before(start) || !p.At.Before(end) {
			continue
		}
		if a.n == 0 || p.At.Before(a.first) {
			a.first = p.At
		}
		a.n++
		a.rev += p.Minor
	}
	days := int(math.Ceil(end.Sub(start).Hours() / 24))
	if days < 1 {
		days = 1
	}
	newByDay := [2][]int{make([]int, days), make([]int, days)}
	var r Report
	for _, a := range by {
		g, arm := &r.Treatment, 0
		if a.holdout {
			g, arm = &r.Holdout, 1
		}
		g.Members++
		g.Purchases += a.n
		g.Revenue += a.rev
		if a.n > 0 {
			g.Converters++
			d := min(int(a.first.Sub(start)/(24*time.Hour)), days-1)
			newByDay[arm][d]++
		}
	}
	for _, g := range []*Group{&r.Treatment, &r.Holdout} {
		g.Rate, g.RateLow, g.RateHigh = Wilson(g.Converters, g.Members)
	}
	r.AbsoluteLift = Newcombe(r.Treatment.Converters, r.Treatment.Members, r.Holdout.Converters, r.Holdout.Members)
	r.RelativeLift = Katz(r.Treatment.Converters, r.Treatment.Members, r.Holdout.Converters, r.Holdout.Members)
	r.IncrementalRevenue = incremental(r.Treatment, r.Holdout)
	cum := [2]int{}
	for d := range days {
		cum[0] += newByDay[0][d]
		cum[1] += newByDay[1][d]
		r.Days = append(r.Days, Day{Day: d + 1, Treatment: ratio(cum[0], r.Treatment.Members), Holdout: ratio(cum[1], r.Holdout.Members)})
	}
	return r
}

func ratio(x, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}

// incremental is treatment revenue minus what the treatment group would have spent at the holdout's
// revenue per member: Rt − Rh·Nt/Nh, exactly, rounded toward zero.
func incremental(t, h Group) int64 {
	if h.Members == 0 {
		return 0
	}
	v := new(big.Int).Mul(big.NewInt(h.Revenue), big.NewInt(int64(t.Members)))
	v.Quo(v, big.NewInt(int64(h.Members)))
	v.Sub(big.NewInt(t.Revenue), v)
	if !v.IsInt64() {
		if v.Sign() < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return v.Int64()
}

// Wilson is the proportion x/n with its Wilson score 95% interval; (0, 0, 0) for n = 0.
func Wilson(x, n int) (p, lo, hi float64) {
	if n <= 0 {
		return 0, 0, 0
	}
	nf, z2 := float64(n), Z95*Z95
	p = float64(x) / nf
	center := (p + z2/(2*nf)) / (1 + z2/nf)
	half := Z95 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return p, math.Max(0, center-half), math.Min(1, center+half)
}

// Newcombe is the difference x1/n1 − x2/n2 with Newcombe's hybrid score interval (his method 10,
// Statistics in Medicine 1998), built from the two Wilson intervals.
func Newcombe(x1, n1, x2, n2 int) Interval {
	iv := Interval{Method: MethodAbsolute}
	if n1 <= 0 || n2 <= 0 {
		return iv
	}
	p1, l1, u1 := Wilson(x1, n1)
	p2, l2, u2 := Wilson(x2, n2)
	d := p1 - p2
	iv.Estimate, iv.Defined = d, true
	iv.Low = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	iv.High = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return iv
}

// Katz is the relative lift (x1/n1)/(x2/n2) − 1 with the Katz log interval; undefined when either arm
// has no converter.
func Katz(x1, n1, x2, n2 int) Interval {
	iv := Interval{Method: MethodRelative}
	if n1 <= 0 || n2 <= 0 || x1 <= 0 || x2 <= 0 {
		return iv
	}
	rr := (float64(x1) / float64(n1)) / (float64(x2) / float64(n2))
	se := math.Sqrt(1/float64(x1) - 1/float64(n1) + 1/float64(x2) - 1/float64(n2))
	iv.Estimate, iv.Defined = rr-1, true
	iv.Low = rr*math.Exp(-Z95*se) - 1
	iv.High = rr*math.Exp(Z95*se) - 1
	return iv
}

// Covers reports whether the interval is defined and contains v.
func (iv Interval) Covers(v float64) bool { return iv.Defined && iv.Low <= v && v <= iv.High }

// sortedDays is for tests: the days in order.
func sortedDays(ds []Day) bool {
	return slices.IsSortedFunc(ds, func(a, b Day) int { return a.Day - b.Day })
}
