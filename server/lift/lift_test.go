package lift

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 5e-4 }

// Published values: Newcombe (1998), "Interval estimation for the difference between independent
// proportions", Table II, method 10; Wilson intervals from his companion paper (method 3).
func TestNewcombePublished(t *testing.T) {
	for _, c := range []struct {
		x1, n1, x2, n2 int
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
	} {
		iv := Newcombe(c.x1, c.n1, c.x2, c.n2)
		if !iv.Defined || !near(iv.Low, c.lo) || !near(iv.High, c.hi) {
			t.Errorf("%d/%d − %d/%d: [%.4f, %.4f], want [%.4f, %.4f]", c.x1, c.n1, c.x2, c.n2, iv.Low, iv.High, c.lo, c.hi)
		}
	}
	if _, lo, hi := Wilson(81, 263); !near(lo, 0.2553) || !near(hi, 0.3662) {
		t.Errorf("Wilson 81/263: [%.4f, %.4f], want [0.2553, 0.3662]", lo, hi)
	}
	if iv := Newcombe(1, 0, 1, 1); iv.Defined {
		t.Errorf("an empty arm gave an interval")
	}
	if iv := Katz(0, 10, 3, 10); iv.Defined {
		t.Errorf("no converter gave a relative interval")
	}
}

func TestComputeAndChart(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(3 * 24 * time.Hour)
	members := []Member{{"a", false}, {"b", false}, {"c", false}, {"d", false}, {"h1", true}, {"h2", true}}
	buys := []Purchase{
		{"a", start.Add(time.Hour), 1000}, {"a", start.Add(50 * time.Hour), 500}, // a converts on day 1
		{"b", start.Add(30 * time.Hour), 700},  // day 2
		{"h1", start.Add(60 * time.Hour), 900}, // day 3
		{"c", start.Add(-time.Hour), 5000},     // before the window: not counted
		{"d", end, 5000},                       // at the end: not counted
		{"zz", start.Add(time.Hour), 100},      // not a member
	}
	r := Compute(members, buys, start, end)
	if r.Treatment.Members != 4 || r.Treatment.Converters != 2 || r.Treatment.Purchases != 3 || r.Treatment.Revenue != 2200 {
		t.Errorf("treatment %+v", r.Treatment)
	}
	if r.Holdout.Members != 2 || r.Holdout.Converters != 1 || r.Holdout.Revenue != 900 {
		t.Errorf("holdout %+v", r.Holdout)
	}
	// 2200 − 900·4/2 = 400.
	if r.IncrementalRevenue != 400 {
		t.Errorf("incremental revenue %d, want 400", r.IncrementalRevenue)
	}
	if !near(r.AbsoluteLift.Estimate, 0) || !r.AbsoluteLift.Defined || r.RelativeLift.Estimate != 0 {
		t.Errorf("lift %+v %+v", r.AbsoluteLift, r.RelativeLift)
	}
	want := []Day{{1, 0.25, 0}, {2, 0.5, 0}, {3, 0.5, 0.5}}
	if fmt.Sprint(r.Days) != fmt.Sprint(want) || !sortedDays(r.Days) {
		t.Errorf("days %v, want %v", r.Days, want)
	}
	svg := Chart("Coffee <10%>", r.Days)
	if err := xml.Unmarshal(svg, new(struct{})); err != nil {
		t.Fatalf("chart is not well-formed XML: %v", err)
	}
	if !bytes.Contains(svg, []byte("Coffee &lt;10%&gt;")) || bytes.Count(svg, []byte("<polyline")) != 2 || bytes.Contains(svg, []byte("<script")) {
		t.Errorf("chart lacks the escaped title or the two series:\n%s", svg)
	}
}

func TestInHoldout(t *testing.T) {
	key := []byte("campaign key")
	n := 0
	for i := range 20000 {
		if InHoldout(key, "c1", fmt.Sprint("u", i), 1000) {
			n++
		}
	}
	if n < 1800 || n > 2200 {
		t.Errorf("%d of 20000 in a 10%% holdout", n)
	}
	if InHoldout(key, "c1", "u1", 0) || !InHoldout(key, "c1", "u1", MaxBP) {
		t.Errorf("0%% and 100%% holdouts are not absolute")
	}
	if first, again := InHoldout(key, "c1", "u7", 5000), InHoldout(key, "c1", "u7", 5000); first != again {
		t.Errorf("assignment not reproducible")
	}
}
