package emvqr

import "testing"

// BenchmarkParse reads the EMVCo specification's example (template 64 in Chinese, 7 templates).
func BenchmarkParse(b *testing.B) {
	p := realWorld(b)["emvco-spec-best-transport"]
	for b.Loop() {
		if _, err := Parse(p); err != nil {
			b.Fatal(err)
		}
	}
}
