package bench

import "testing"

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		goalX, ratio, cpuGoal, serverCPU float64
		want                             string
	}{
		{0, 3, 0, 50, ""},
		{4, 4, 100, 150, ">= 4x met"},
		{4, 5.2, 100, 0, ">= 4x met"},
		{4, 3.9, 0, 50, ">= 4x NOT met"},
		{4, 3.9, 100, 0, ">= 4x NOT met; server <= 100 µs not measured"},
		{4, 3.9, 100, 100, ">= 4x NOT met; server <= 100 µs met"},
		{4, 3.9, 100, 99.4, ">= 4x NOT met; server <= 100 µs met"},
		{4, 3.9, 100, 100.2, ">= 4x NOT met; server <= 100 µs NOT met"},
		{25, 22.3, 30, 16, ">= 25x NOT met; server <= 30 µs met"},
	} {
		if got := verdict(tc.goalX, tc.ratio, tc.cpuGoal, tc.serverCPU); got != tc.want {
			t.Errorf("verdict(%v, %v, %v, %v) = %q, want %q", tc.goalX, tc.ratio, tc.cpuGoal, tc.serverCPU, got, tc.want)
		}
	}
}
