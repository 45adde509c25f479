package lift

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/screen"
)

// The simulation: simCustomers customers with a deterministic 90-day history at simMerchants
// merchants (each customer has a visit rate per merchant drawn from a seeded generator); merchant 0
// runs a campaign screened with the real condition evaluator ("visited at least once in the last 60
// days"), members are split with the real holdout function, and in the 14-day window each member's
// chance to buy is their own baseline, plus the injected effect for the treatment arm. The true lift
// is the members' mean effect; the report's interval should cover it in about 95% of the seeds.
const (
	simCustomers = 20_000
	simMerchants = 20
	simHistory   = 90 // days
	simWindow    = 14 // days
)

var simStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type simResult struct {
	report   Report
	trueLift float64
	members  int
}

func simulate(seed uint64, effect float64) simResult {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	set := screen.Set{Groups: []screen.Group{{{Type: screen.Visits, Days: 60, Min: ptr(1)}}}}
	key := fmt.Appendf(nil, "sim-key-%d", seed)
	var members []Member
	var buys []Purchase
	var lift float64
	for c := range simCustomers {
		user := fmt.Sprintf("c%05d", c)
		var visits0 []screen.Visit
		var rate0 float64 // visits per day at merchant 0
		for m := range simMerchants {
			rate := rng.ExpFloat64() / 40 // mean one visit every 40 days
			if m == 0 {
				rate0 = rate
			}
			// Visits in the history: a Poisson number, on uniform days.
			for range poisson(rng, rate*simHistory) {
				at := simStart.Add(-time.Duration(1+rng.IntN(simHistory)) * 24 * time.Hour)
				minor := 500 + rng.Int64N(2000)
				if m == 0 {
					visits0 = append(visits0, screen.Visit{At: at, Minor: minor})
				}
			}
		}
		if !set.Eval(screen.Facts{Visits: visits0}, simStart) {
			continue
		}
		holdout := InHoldout(key, "sim", user, 1000)
		members = append(members, Member{UserID: user, Holdout: holdout})
		base := 1 - math.Exp(-rate0*simWindow)
		treated := math.Min(1, base+effect)
		lift += treated - base
		p := base
		if !holdout {
			p = treated
		}
		if rng.Float64() < p {
			n := 1 + rng.IntN(2)
			for range n {
				at := simStart.Add(time.Duration(rng.Int64N(int64(simWindow * 24 * time.Hour))))
				buys = append(buys, Purchase{UserID: user, At: at, Minor: 500 + rng.Int64N(2000)})
			}
		}
	}
	r := Compute(members, buys, simStart, simStart.Add(simWindow*24*time.Hour))
	return simResult{report: r, trueLift: lift / float64(len(members)), members: len(members)}
}

// poisson draws from Poisson(lambda) by Knuth's method (lambda is small here).
func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func ptr(v int64) *int64 { return &v }

func TestSimulatedCoverage(t *testing.T) {
	testenv.SkipIfShort(t, "simulates 200 seeded campaigns")
	seeds := 200
	for _, effect := range []float64{0.06, 0} {
		covered, zeroCovered := 0, 0
		var members, holdout int
		for seed := range uint64(seeds) {
			res := simulate(seed, effect)
			iv := res.report.AbsoluteLift
			if iv.Covers(res.trueLift) {
				covered++
			}
			if iv.Covers(0) {
				zeroCovered++
			}
			members += res.members
			holdout += res.report.Holdout.Members
		}
		t.Logf("effect %.2f: %d seeds, %d members and %d in holdout on average; the 95%% interval covered the true lift in %d (%.1f%%) and 0 in %d",
			effect, seeds, members/seeds, holdout/seeds, covered, 100*float64(covered)/float64(seeds), zeroCovered)
		// Binomial(seeds, 0.95): the bounds are beyond 3 standard deviations from 95%.
		lo := int(math.Floor(0.95*float64(seeds) - 3*math.Sqrt(0.95*0.05*float64(seeds))))
		if covered < lo || covered == seeds && seeds >= 200 {
			t.Errorf("effect %.2f: coverage %d of %d, want about 95%% (at least %d)", effect, covered, seeds, lo)
		}
		if effect == 0 && zeroCovered != covered {
			t.Errorf("no effect: the true lift is 0, yet covering it (%d) and covering 0 (%d) differ", covered, zeroCovered)
		}
		if effect > 0 && zeroCovered > seeds/5 {
			t.Errorf("effect %.2f: the interval covered 0 in %d of %d seeds: too little power to be a useful test", effect, zeroCovered, seeds)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestSimulatedChartGolden draws one simulated campaign (seed 1, a true effect of 6 points) as SVG:
// testdata/sim-chart.svg, the chart docs/offers.md shows. -update rewrites it.
func TestSimulatedChartGolden(t *testing.T) {
	res := simulate(1, 0.06)
	svg := Chart("Simulated campaign, +6 points injected: conversion by day", res.report.Days)
	path := filepath.Join("testdata", "sim-chart.svg")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(svg, want) {
		t.Errorf("chart differs from %s (run with -update after checking it)", path)
	}
	last := res.report.Days[len(res.report.Days)-1]
	if last.Treatment <= last.Holdout {
		t.Errorf("with a true effect the treatment curve ends at %.3f, not above the holdout's %.3f", last.Treatment, last.Holdout)
	}
	t.Logf("seed 1: %+v", res.report.AbsoluteLift)
}
