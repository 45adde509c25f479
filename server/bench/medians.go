package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// spread is the median, minimum and maximum of some figures.
type spread struct{ median, lo, hi float64 }

func spreadOf(v []float64) spread {
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{m, s[0], s[len(s)-1]}
}

// cpu formats a CPU spread, or nothing when it was not measured.
func (s spread) cpu() string {
	if s.hi <= 0 {
		return ""
	}
	return s.format(0)
}

func (s spread) format(prec int) string {
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, s.median, prec, s.lo, prec, s.hi)
}

// printMedians adds, for every phase that ran more than once, the medians and the spread (min–max)
// of its rate, its ratio to its own baselines, the baselines and its CPU per payment; the goal is
// judged on the median ratio and, where that falls short, the median server CPU.
func (r Report) printMedians(w io.Writer) {
	var names []string
	runs := map[string][]Row{}
	for _, row := range r.Rows {
		if _, ok := runs[row.Name]; !ok {
			names = append(names, row.Name)
		}
		runs[row.Name] = append(runs[row.Name], row)
	}
	var repeated bool
	for _, n := range names {
		repeated = repeated || len(runs[n]) > 1
	}
	if !repeated {
		return
	}
	fmt.Fprintln(w, "\nmedians (min–max) over the runs of each phase; each ratio is to the baselines just before and after its run")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\truns\tpayments/s\tbaseline/s\tx baseline\tgoal\tCPU µs/payment (all)\tserver CPU µs/payment\t")
	for _, n := range names {
		rows := runs[n]
		var rate, base, ratio, cpu, srv []float64
		for _, row := range rows {
			rate, base, ratio, cpu = append(rate, row.PerSec), append(base, row.Baseline), append(ratio, row.Ratio), append(cpu, row.CPUMicrosPerPayment)
			srv = append(srv, row.ServerCPUMicrosPerPayment)
		}
		x := spreadOf(ratio)
		goal := verdict(rows[0].Goal, x.median, rows[0].ServerCPUGoal, spreadOf(srv).median)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", n, len(rows), spreadOf(rate).format(0), spreadOf(base).format(0), x.format(1), goal,
			spreadOf(cpu).cpu(), spreadOf(srv).cpu())
	}
	tw.Flush()
}
