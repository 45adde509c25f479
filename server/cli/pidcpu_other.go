//go:build !linux

package cli

import (
	"errors"
	"time"
)

// pidCPU is unknown outside Linux (no /proc): the bench report leaves the server column empty.
func pidCPU(int) time.Duration { return 0 }

// checkPID refuses: without /proc no other process's CPU time can be read.
func checkPID(int) error { return errors.New("a process's CPU time is read from /proc, on Linux only") }
