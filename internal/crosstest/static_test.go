package crosstest

import (
	"testing"

	"github.com/stillpay/stillpay/terminal/bundle"
)

// TestCrossBuiltBinariesAreStaticAndSmall checks the three binaries a bundle ships.
func TestCrossBuiltBinariesAreStaticAndSmall(t *testing.T) {
	for _, tg := range targets {
		path := posagentFor(t, tg)
		info, err := bundle.Inspect(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes (%.2f MB), machine %s, interpreter %q, dynamic %v", tg.name, info.Size, float64(info.Size)/1e6, info.Machine, info.Interpreter, info.Dynamic)
		if info.Interpreter != "" || info.Dynamic {
			t.Errorf("%s is dynamically linked (interpreter %q)", tg.name, info.Interpreter)
		}
		if info.Size > bundle.MaxBinarySize {
			t.Errorf("%s is %d bytes, over the %d byte budget", tg.name, info.Size, bundle.MaxBinarySize)
		}
		if info.Machine.String() != tg.elfMachine || info.Target.String() != tg.name || info.CGO {
			t.Errorf("%s: machine %s target %s cgo %v", tg.name, info.Machine, info.Target, info.CGO)
		}
		if err := bundle.CheckShippable(info); err != nil {
			t.Error(err)
		}
	}
}
