package update

import (
	"runtime"
	"runtime/debug"

	"github.com/stillpay/stillpay/terminal/bundle"
)

// CurrentTarget is the target this binary was built for.
func CurrentTarget() bundle.Target {
	t := bundle.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if t.Arch == "arm" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "GOARM" && s.Value != "" {
					t.ARM = s.Value[:1]
				}
			}
		}
	}
	return t
}

// compatible reports whether a bundle built for b runs where this binary, built for cur, runs. A
// 32-bit ARM binary built for a lower ARM level runs on a higher one, not the other way round.
func compatible(b, cur bundle.Target) bool {
	if b.OS != cur.OS || b.Arch != cur.Arch {
		return false
	}
	if b.Arch == "arm" && cur.ARM != "" && b.ARM != "" {
		return b.ARM <= cur.ARM
	}
	return true
}
