//go:build !unix

package cli

import (
	"errors"
	"log/slog"
	"os"
)

// restartProfileOnSignal does nothing where there is no SIGUSR1: the profile covers the whole run.
func restartProfileOnSignal(*cpuProfile, *slog.Logger) (stop func()) { return func() {} }

// signalProfileRestart is not available without SIGUSR1.
func signalProfileRestart(*os.Process) error {
	return errors.New("cpu profile: restarting a child's profile needs SIGUSR1")
}
