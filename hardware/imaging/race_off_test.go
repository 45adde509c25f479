//go:build !race

package imaging

// raceEnabled: the race detector is on (tests that render many photos check a sample).
const raceEnabled = false
