package imaging

import (
	"image"
	"slices"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/imaging/internal/gen"
)

// benchFrames are distinct 640x480 camera-like frames, so the benchmark is
// not one lucky image.
const benchFrames = 8

func loadBenchFrames(b *testing.B) ([]image.Image, []string) {
	b.Helper()
	var imgs []image.Image
	var texts []string
	for i := range benchFrames {
		img, text, err := gen.Frame640(uint64(i + 1))
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
		texts = append(texts, text)
	}
	return imgs, texts
}

// BenchmarkDecode640x480 decodes a 640x480 frame holding a 400-character
// stillpay code on a phone and reports the median and p99 time per frame
// (goal: median <= 10 ms on the reference 2-core machine).
func BenchmarkDecode640x480(b *testing.B) {
	imgs, texts := loadBenchFrames(b)
	benchDecode(b, imgs, texts, DefaultOptions())
}

// BenchmarkDecodeNoCode decodes 640x480 frames with nothing to read: the
// usual frame of a camera pointed at a counter, where every fallback runs.
func BenchmarkDecodeNoCode(b *testing.B) {
	var imgs []image.Image
	for i := range benchFrames {
		img, err := gen.Render(gen.Scene{Name: "empty", W: 640, H: 480, Busy: i%2 == 0, Noise: 4, Seed: uint64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	benchDecode(b, imgs, nil, DefaultOptions())
}

func benchDecode(b *testing.B, imgs []image.Image, texts []string, opts Options) {
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % len(imgs)
		start := time.Now()
		res, err := Decode(imgs[k], opts)
		durations = append(durations, time.Since(start))
		if texts != nil && (err != nil || res.Text != texts[k]) {
			b.Fatalf("frame %d: %q, %v", k, res.Text, err)
		}
		if texts == nil && err == nil {
			b.Fatalf("frame %d without a code decoded as %q", k, res.Text)
		}
	}
	b.StopTimer()
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(durations[len(durations)/2]), "median-ms")
	b.ReportMetric(ms(durations[min(len(durations)-1, len(durations)*99/100)]), "p99-ms")
}
