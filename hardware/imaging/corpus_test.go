package imaging

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/imaging/internal/gen"
)

// Issue #16's decoding goal, checked on the corpus of real payloads (internal/gen's Corpus).
const (
	corpusPerKind = 45 // 12 kinds: 540 photos
	// corpusMinRate is the share of the photos that must decode to their exact text: issue #16's
	// goal. The decoder reaches 0.952 on the measured corpus (514 of 540, docs/hardware.md); with
	// no budget the rate does not depend on the machine's load.
	corpusMinRate  = 0.95
	corpusMinTotal = 500
)

var (
	corpusOut  = flag.String("corpus-out", "", "TestDecodeCorpus also writes the corpus's photos and manifest.json into this directory")
	corpusSeed = flag.String("corpus-seed", "", `seed of the corpus: "tuning" for gen.TuningSeed (default gen.CorpusSeed)`)
)

// corpusResult is one photo's outcome.
type corpusResult struct {
	photo   gen.CorpusPhoto
	file    string
	payload string // typical, typical+offer, longest
	ok      bool
	wrong   string // a text other than the photo's
	err     error
	took    time.Duration // Decode of the photo's bytes
}

// buildCorpus draws the corpus's payloads from the wallets, in order, and its scenes.
func buildCorpus(t testing.TB, seed uint64, perKind int) ([]gen.CorpusPhoto, []string) {
	t.Helper()
	wallets := corpusWallets(t)
	var kinds []string
	photos, err := gen.Corpus(seed, perKind, func(i int) string {
		w := wallets[i%len(wallets)]
		kinds = append(kinds, w.name)
		return w.next(t)
	})
	if err != nil {
		t.Fatal(err)
	}
	return photos, kinds
}

// decodeCorpus renders, encodes and decodes the photos on every core, as `posagent decode` reads
// a file: Decode with DefaultOptions of the JPEG's pixels.
func decodeCorpus(t testing.TB, photos []gen.CorpusPhoto, payloads []string, out string) []corpusResult {
	t.Helper()
	results := make([]corpusResult, len(photos))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				p := photos[i]
				r := corpusResult{photo: p, payload: payloads[i]}
				data, ext, err := gen.Encode(p.Scene)
				if err != nil {
					t.Error(err)
					continue
				}
				r.file = p.Scene.Name + ext
				if out != "" {
					if err := os.WriteFile(filepath.Join(out, r.file), data, 0o644); err != nil {
						t.Error(err)
					}
				}
				img, err := LoadImage(bytes.NewReader(data))
				if err != nil {
					t.Error(err)
					continue
				}
				start := time.Now()
				res, err := Decode(img, DefaultOptions())
				r.took = time.Since(start)
				switch {
				case err != nil:
					r.err = err
				case res.Text != p.Scene.Text:
					r.wrong = res.Text
				default:
					r.ok = true
				}
				results[i] = r
			}
		})
	}
	for i := range photos {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// tally counts decoded photos of a group.
type tally struct{ ok, n int }

func (t tally) String() string {
	return fmt.Sprintf("%5.1f %% (%d/%d)", 100*float64(t.ok)/float64(max(t.n, 1)), t.ok, t.n)
}

// TestDecodeCorpus is issue #16's decoding goal: at least 95 % of at least 500 camera photos of
// real payment codes (typical and longest, with and without an offer; 1280×960, 1920×1080 and
// 640×480 frames; the distortions of gen.CorpusKinds) decode with DefaultOptions — the options of
// `posagent decode` and of a camera's default config — to their exact text, and none to another
// text. The corpus is drawn from gen.CorpusSeed, never tuned against. The race detector makes
// rendering ten times slower, so -race and -short skip it; make bench runs it.
func TestDecodeCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and decodes 540 camera photos; run without -short")
	}
	if raceEnabled {
		// Rendering under the race detector takes minutes even for a sample (measured: 170 s for
		// 20 photos at load 20); the decoder's concurrency is tested elsewhere.
		t.Skip("renders 540 photos: run without -race (make bench does)")
	}
	seed := gen.CorpusSeed
	switch *corpusSeed {
	case "":
	case "tuning":
		seed = gen.TuningSeed
	default:
		v, err := strconv.ParseUint(*corpusSeed, 10, 64)
		if err != nil {
			t.Fatalf("-corpus-seed %q", *corpusSeed)
		}
		seed = v
	}
	photos, payloads := buildCorpus(t, seed, corpusPerKind)
	if len(photos) < corpusMinTotal {
		t.Fatalf("corpus of %d photos, want at least %d", len(photos), corpusMinTotal)
	}
	if *corpusOut != "" {
		if err := os.MkdirAll(*corpusOut, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	results := decodeCorpus(t, photos, payloads, *corpusOut)
	if *corpusOut != "" {
		writeCorpusManifest(t, *corpusOut, results)
	}

	byKind, bySize, byPayload := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	count := func(m map[string]*tally, key string, ok bool) {
		if m[key] == nil {
			m[key] = &tally{}
		}
		m[key].n++
		if ok {
			m[key].ok++
		}
	}
	var all tally
	var times1280 []time.Duration
	for _, r := range results {
		s := r.photo.Scene
		if r.wrong != "" {
			t.Errorf("%s: decoded a wrong text %.40q…", r.file, r.wrong)
		}
		if !r.ok && r.wrong == "" {
			t.Logf("MISS %s (%s, %s): %v", r.file, r.payload, sceneSummary(s), r.err)
		}
		count(byKind, r.photo.Kind, r.ok)
		count(bySize, fmt.Sprintf("%dx%d", s.W, s.H), r.ok)
		count(byPayload, r.payload, r.ok)
		all.n++
		if r.ok {
			all.ok++
		}
		if s.W == 1280 && s.H == 960 {
			times1280 = append(times1280, r.took)
		}
	}
	var lines []string
	for _, k := range gen.CorpusKinds {
		lines = append(lines, fmt.Sprintf("  %-16s %s", k.Name, byKind[k.Name]))
	}
	for _, m := range []map[string]*tally{bySize, byPayload} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			lines = append(lines, fmt.Sprintf("  %-16s %s", k, m[k]))
		}
	}
	slices.Sort(times1280)
	t.Logf("corpus seed %d: decoded %s\n%s", seed, all, strings.Join(lines, "\n"))
	if n := len(times1280); n > 0 {
		t.Logf("1280x960 decode time (machine shared with the renderers, see BenchmarkDecodeCorpus1280x960): median %v, p99 %v",
			times1280[n/2], times1280[min(n-1, n*99/100)])
	}
	if rate := float64(all.ok) / float64(all.n); rate < corpusMinRate {
		t.Errorf("decode rate %s below %.0f %%", all, 100*corpusMinRate)
	}
}

func sceneSummary(s gen.Scene) string {
	return fmt.Sprintf("%dx%d module %.1fpx rot %.0f pitch %.0f yaw %.0f blur %.1f noise %.0f glare %.2f moire %.2f/%.1f shutter %.2f/%.1f band %.2f",
		s.W, s.H, s.ModulePx, s.Rotate, s.Pitch, s.Yaw, s.Blur, s.Noise, s.Glare, s.Moire, s.ScreenPx, s.Shutter, s.Wobble, s.Banding)
}

// writeCorpusManifest writes manifest.json for the photos written by -corpus-out, so that
// `posagent decode --json` can be checked against it (scripts/bench.sh).
func writeCorpusManifest(t testing.TB, dir string, results []corpusResult) {
	t.Helper()
	var m []gen.ManifestEntry
	for _, r := range results {
		m = append(m, gen.ManifestEntry{File: r.file, Text: r.photo.Scene.Text, Desc: r.photo.Kind})
	}
	if err := gen.WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}
