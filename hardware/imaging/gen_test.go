package imaging

import (
	"errors"
	"flag"
	"path/filepath"
	"testing"

	"github.com/stillpay/stillpay/hardware/imaging/internal/gen"
	"github.com/stillpay/stillpay/internal/testenv"
)

var update = flag.Bool("update", false, "regenerate testdata/qr from hardware/imaging/internal/gen")

// qrDir holds the committed camera-like test images.
const qrDir = "../../testdata/qr"

// minDecodeRate is the share of camera-like images that must decode.
const minDecodeRate = 0.95

// TestCameraImages decodes every committed camera-like image: at least 95%
// of those with a code must read back their exact text, and none of those
// without a code may yield one. Run with -update to regenerate the images.
func TestCameraImages(t *testing.T) {
	testenv.SkipIfShort(t, "decodes every committed camera image")
	if *update {
		if _, err := gen.Write(qrDir, gen.Scenes()); err != nil {
			t.Fatal(err)
		}
	}
	manifest, err := gen.ReadManifest(qrDir)
	if err != nil {
		t.Fatal(err)
	}
	var withCode, decoded int
	for _, e := range manifest {
		res, err := DecodeFile(filepath.Join(qrDir, e.File), DefaultOptions())
		if e.Text == "" {
			if !errors.Is(err, ErrNoCode) && !errors.Is(err, ErrUnreadable) {
				t.Errorf("%s (no code): got %q, %v; want ErrNoCode", e.File, res.Text, err)
			}
			continue
		}
		withCode++
		switch {
		case err != nil:
			t.Logf("MISS %s (%s): %v", e.File, e.Desc, err)
		case res.Text != e.Text:
			t.Errorf("%s: decoded %q, want %q", e.File, res.Text, e.Text)
		case res.Symbology != "]Q1":
			t.Errorf("%s: symbology %q, want ]Q1", e.File, res.Symbology)
		default:
			decoded++
		}
	}
	rate := float64(decoded) / float64(withCode)
	t.Logf("decoded %d of %d camera-like images (%.1f%%)", decoded, withCode, 100*rate)
	if withCode < 40 {
		t.Errorf("only %d images with a code; the set is too small to measure", withCode)
	}
	if rate < minDecodeRate {
		t.Errorf("decode rate %.1f%% below %.0f%%", 100*rate, 100*minDecodeRate)
	}
}
