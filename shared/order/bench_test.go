package order

import "testing"

// BenchmarkSign is the server's cost per order: validate, sign (Ed25519), write the MPM text.
func BenchmarkSign(b *testing.B) {
	o := sampleOrder()
	for b.Loop() {
		s, err := Sign(o, "k-2026-12", serverKey)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.MPM(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is the phone's check of a scanned order: EMVCo parse, canonical re-encoding,
// Ed25519 verification.
func BenchmarkParse(b *testing.B) {
	_, text := mustSign(b, sampleOrder())
	for b.Loop() {
		if _, err := Parse(text, keys, now); err != nil {
			b.Fatal(err)
		}
	}
}
