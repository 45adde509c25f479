package bench

import "fmt"

// verdict says whether a phase met its goal (issue #13): its ratio to the baseline at or above
// goalX; or, where the ratio falls short, the server's own CPU per payment at or below cpuGoal µs,
// which only counts when it was measured (serverCPU > 0). A phase without a goal gets "".
func verdict(goalX, ratio, cpuGoal, serverCPU float64) string {
	if goalX <= 0 {
		return ""
	}
	byRatio := fmt.Sprintf(">= %.0fx", goalX)
	switch {
	case ratio >= goalX:
		return byRatio + " met"
	case cpuGoal <= 0:
		return byRatio + " NOT met"
	case serverCPU <= 0:
		return fmt.Sprintf("%s NOT met; server <= %.0f µs not measured", byRatio, cpuGoal)
	case serverCPU <= cpuGoal:
		return fmt.Sprintf("%s NOT met; server <= %.0f µs met", byRatio, cpuGoal)
	}
	return fmt.Sprintf("%s NOT met; server <= %.0f µs NOT met", byRatio, cpuGoal)
}
