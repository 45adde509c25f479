package cli

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// DefaultGCPercent is settlementd's garbage-collector target (Go's GOGC, whose default is 100). The
// server's live heap is small (caches of immutable records, a group's pages) while every payment
// allocates short-lived JSON, payload and page buffers; collecting at 4x the live heap instead of 2x
// cut the store writer's CPU per payment by about a quarter in the group-commit benchmark, for tens of
// megabytes more memory.
const DefaultGCPercent = 400

// addGCFlag adds --gc-percent.
func addGCFlag(fl *pflag.FlagSet, pct *int) {
	fl.IntVar(pct, "gc-percent", DefaultGCPercent, "garbage-collector target percentage (Go's GOGC; -1 disables the collector); when unset, a GOGC environment variable wins")
}

// applyGCPercent sets the collector's target: the flag when given, else GOGC when the environment
// sets it (the runtime already applied it), else the flag's default.
func applyGCPercent(cmd *cobra.Command, pct int) error {
	if !cmd.Flags().Changed("gc-percent") {
		if _, ok := os.LookupEnv("GOGC"); ok {
			return nil
		}
	}
	if pct < -1 {
		return fmt.Errorf("--gc-percent %d: use -1 (off) or a percentage", pct)
	}
	debug.SetGCPercent(pct)
	return nil
}
