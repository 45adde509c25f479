//go:build unix

package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// profileRestartSignal starts serve's --cpuprofile over: 'settlementd bench --server-cpuprofile'
// sends it once its setup is done.
const profileRestartSignal = syscall.SIGUSR1

// restartProfileOnSignal restarts prof on each profileRestartSignal until the returned func is
// called.
func restartProfileOnSignal(prof *cpuProfile, log *slog.Logger) (stop func()) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, profileRestartSignal)
	go func() {
		for {
			select {
			case <-sigs:
				if err := prof.restart(); err != nil {
					log.Warn("cpu profile: restart failed", "err", err)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// signalProfileRestart asks a serve child to start its profile over.
func signalProfileRestart(p *os.Process) error { return p.Signal(profileRestartSignal) }
