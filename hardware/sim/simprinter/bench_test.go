package simprinter_test

import (
	"os"
	"testing"

	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
)

// BenchmarkInterpret measures the simulator on a golden receipt: parse,
// lay out, render text and PNG, read the QR back.
func BenchmarkInterpret(b *testing.B) {
	for _, g := range receipttest.Goldens()[:3] {
		bin, _ := g.Paths()
		job, err := os.ReadFile(bin)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(g.Name, func(b *testing.B) {
			for b.Loop() {
				if _, err := simprinter.Interpret(g.Profile, job, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
