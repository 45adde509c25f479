package cli

import (
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
)

// cpuProfile writes a CPU profile to a file until stop. restart drops what it holds and starts
// over (serve does it on SIGUSR1), so that a measurement can profile its phases without its setup.
type cpuProfile struct {
	mu sync.Mutex
	fh *os.File
}

// startCPUProfile writes a CPU profile to path until stop is called.
func startCPUProfile(path string) (*cpuProfile, error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return &cpuProfile{fh: fh}, nil
}

// restart empties the file and profiles from now on.
func (p *cpuProfile) restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fh == nil {
		return nil // stopped
	}
	pprof.StopCPUProfile()
	if err := p.fh.Truncate(0); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if _, err := p.fh.Seek(0, 0); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(p.fh); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	return nil
}

// stop ends the profile and closes its file.
func (p *cpuProfile) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fh == nil {
		return
	}
	pprof.StopCPUProfile()
	p.fh.Close()
	p.fh = nil
}
