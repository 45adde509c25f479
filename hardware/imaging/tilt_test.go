package imaging

import (
	"bytes"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/stillpay/stillpay/hardware/imaging/internal/gen"
)

// TestSelectTilted checks the relaxed finder-pattern choice on hand-placed
// centres: x grows right, y grows down, so a code seen upright has its
// top-left pattern at the smallest x and y.
func TestSelectTilted(t *testing.T) {
	fp := detector.NewFinderPattern1
	tests := []struct {
		name       string
		centers    []*detector.FinderPattern
		tl, tr, bl [2]float64 // want; zero tl: no triple
	}{
		{"upright, one corner twice as near", []*detector.FinderPattern{fp(100, 100, 4), fp(300, 100, 8), fp(100, 300, 5)},
			[2]float64{100, 100}, [2]float64{300, 100}, [2]float64{100, 300}},
		{"given in another order", []*detector.FinderPattern{fp(100, 300, 5), fp(300, 100, 8), fp(100, 100, 4)},
			[2]float64{100, 100}, [2]float64{300, 100}, [2]float64{100, 300}},
		{"a stray blob besides", []*detector.FinderPattern{fp(100, 100, 4), fp(500, 420, 6), fp(300, 100, 7), fp(100, 300, 5)},
			[2]float64{100, 100}, [2]float64{300, 100}, [2]float64{100, 300}},
		{"sizes too far apart", []*detector.FinderPattern{fp(100, 100, 3), fp(300, 100, 8), fp(100, 300, 5)},
			[2]float64{}, [2]float64{}, [2]float64{}},
		{"not a corner", []*detector.FinderPattern{fp(100, 100, 4), fp(300, 100, 5), fp(500, 110, 5)},
			[2]float64{}, [2]float64{}, [2]float64{}},
		{"two candidates", []*detector.FinderPattern{fp(100, 100, 4), fp(300, 100, 5)},
			[2]float64{}, [2]float64{}, [2]float64{}},
	}
	at := func(p *detector.FinderPattern) [2]float64 { return [2]float64{p.GetX(), p.GetY()} }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, tr, bl := selectTilted(tt.centers)
			if tt.tl == ([2]float64{}) {
				if tl != nil {
					t.Fatalf("chose %v %v %v, want none", at(tl), at(tr), at(bl))
				}
				return
			}
			if tl == nil {
				t.Fatal("chose none")
			}
			if at(tl) != tt.tl || at(tr) != tt.tr || at(bl) != tt.bl {
				t.Fatalf("tl %v tr %v bl %v, want %v %v %v", at(tl), at(tr), at(bl), tt.tl, tt.tr, tt.bl)
			}
		})
	}
}

// TestDecodeSteeplyTiltedCode decodes photos of the tuning corpus (never the
// measured one) whose phone is tilted so far that one finder pattern looks
// more than 1.4 times larger than another: gozxing's own finder refuses the
// triple at every resolution Decode tries (hybrid binarizer); the relaxed
// choice reads the code.
func TestDecodeSteeplyTiltedCode(t *testing.T) {
	if raceEnabled {
		// Rendering under the race detector is ten times slower (TestDecodeCorpus); the relaxed
		// choice itself runs under -race in TestSelectTilted.
		t.Skip("renders corpus photos: run without -race")
	}
	photos, _ := buildCorpus(t, gen.TuningSeed, corpusPerKind)
	want := map[string]bool{"tilted-039": true, "tilted-043": true}
	for _, p := range photos {
		if !want[p.Scene.Name] {
			continue
		}
		delete(want, p.Scene.Name)
		t.Run(p.Scene.Name, func(t *testing.T) {
			data, _, err := gen.Encode(p.Scene)
			if err != nil {
				t.Fatal(err)
			}
			img, err := LoadImage(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			full := toGray(img, img.Bounds())
			mid := (DefaultMaxSide + max(full.w, full.h)) / 2
			for _, side := range []int{DefaultMaxSide, mid, DefaultRetrySide} {
				g := downscale(full, side)
				src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
				if err != nil {
					t.Fatal(err)
				}
				bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
				if err != nil {
					t.Fatal(err)
				}
				bits, err := bmp.GetBlackMatrix()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := detector.NewFinderPatternFinder(bits, nil).Find(decodeHints); err == nil {
					t.Fatalf("gozxing's finder accepts the %d px frame: the photo no longer shows the relaxed choice", side)
				}
			}
			res, err := Decode(img, DefaultOptions())
			if err != nil || res.Text != p.Scene.Text {
				t.Fatalf("Decode: %.30q…, %v", res.Text, err)
			}
		})
	}
	if len(want) > 0 {
		t.Fatalf("the tuning corpus has no photos %v", want)
	}
}
