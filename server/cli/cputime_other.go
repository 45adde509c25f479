//go:build !unix

package cli

import "time"

// processCPU is unknown here; the bench report leaves the CPU column empty.
func processCPU() time.Duration { return 0 }
