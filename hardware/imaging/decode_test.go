package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// codeImage renders text as a clean QR code with px pixels per module.
func codeImage(t testing.TB, text string, px int) *image.Gray {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bits := q.Bitmap()
	n := len(bits)
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for y := range n * px {
		for x := range n * px {
			v := uint8(235)
			if bits[y/px][x/px] {
				v = 20
			}
			img.Pix[y*img.Stride+x] = v
		}
	}
	return img
}

func invert(src *image.Gray) *image.Gray {
	out := image.NewGray(src.Bounds())
	for i, v := range src.Pix {
		out.Pix[i] = 255 - v
	}
	return out
}

// onCanvas places img at (x, y) on a w x h light-grey canvas.
func onCanvas(img image.Image, w, h, x, y int) *image.RGBA {
	c := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(c, c.Bounds(), image.NewUniform(color.Gray{200}), image.Point{}, draw.Src)
	draw.Draw(c, img.Bounds().Add(image.Pt(x, y)), img, img.Bounds().Min, draw.Src)
	return c
}

func TestDecodeOptions(t *testing.T) {
	const text = "SP:TEST-OPTIONS-0123456789"
	code := codeImage(t, text, 6)
	inverted := invert(code)
	twoCodes := onCanvas(code, 1400, 700, 40, 40)
	draw.Draw(twoCodes, code.Bounds().Add(image.Pt(800, 100)), codeImage(t, "SP:SECOND", 6), image.Point{}, draw.Src)
	cases := []struct {
		name     string
		img      image.Image
		opts     Options
		want     string
		inverted bool
		err      error
	}{
		{"clean", code, Options{}, text, false, nil},
		{"rgba on canvas", onCanvas(code, 640, 480, 100, 50), DefaultOptions(), text, false, nil},
		{"inverted", inverted, Options{}, text, true, nil},
		{"inverted without trying", inverted, Options{MaxSide: 640}, "", false, ErrNoCode},
		{"large frame downscaled", onCanvas(codeImage(t, text, 12), 2000, 1500, 300, 200), DefaultOptions(), text, false, nil},
		{"large frame full resolution", onCanvas(codeImage(t, text, 12), 2000, 1500, 300, 200), Options{MaxSide: -1}, text, false, nil},
		{"crop picks the second code", twoCodes, Options{MaxSide: -1, Crop: image.Rect(780, 80, 1400, 700)}, "SP:SECOND", false, nil},
		{"crop outside the image", code, Options{Crop: image.Rect(5000, 5000, 5100, 5100)}, "", false, ErrEmptyImage},
		{"blank", image.NewGray(image.Rect(0, 0, 320, 240)), Options{}, "", false, ErrNoCode},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 0)), Options{}, "", false, ErrEmptyImage},
		{"nil", nil, Options{}, "", false, ErrEmptyImage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Decode(c.img, c.opts)
			if res.Retried {
				t.Errorf("read by the retry pass; these cases read in the first")
			}
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != c.want || res.Symbology != "]Q1" || res.Inverted != c.inverted {
				t.Fatalf("got %+v, want %q ]Q1 inverted=%v", res, c.want, c.inverted)
			}
		})
	}
}

// TestDecodeRetryAtFullResolution: a small code in a 1920×1080 frame has modules of 2 px; the
// 640 px pass averages them away, the second pass at DefaultRetrySide reads it. Without RetrySide
// the frame fails, and a spent budget stops before any attempt.
func TestDecodeRetryAtFullResolution(t *testing.T) {
	const text = "SP2:SMALL-CODE-IN-A-FULL-HD-FRAME-0123456789"
	frame := onCanvas(codeImage(t, text, 2), 1920, 1080, 900, 500)
	res, err := Decode(frame, DefaultOptions())
	if err != nil || res.Text != text || !res.Retried {
		t.Fatalf("default options: %+v, %v; want %q read by the retry", res, err, text)
	}
	if res, err := Decode(frame, Options{MaxSide: DefaultMaxSide, TryInverted: true}); err == nil {
		t.Fatalf("without the retry the 640 px pass read %q; the case no longer shows the retry", res.Text)
	}
	if _, err := Decode(frame, Options{MaxSide: DefaultMaxSide, RetrySide: DefaultRetrySide, Budget: time.Nanosecond}); !errors.Is(err, ErrBudget) {
		t.Fatalf("1 ns budget: %v, want ErrBudget", err)
	}
}

// TestDownscaleAveragesArea checks the downscaler on a known pattern: a
// one-pixel checkerboard halved becomes uniform mid-grey.
func TestDownscaleAveragesArea(t *testing.T) {
	g := grayImage{w: 8, h: 4, pix: make([]byte, 32)}
	for y := range 4 {
		for x := range 8 {
			if (x+y)%2 == 0 {
				g.pix[y*8+x] = 200
			}
		}
	}
	out := downscale(g, 4)
	if out.w != 4 || out.h != 2 {
		t.Fatalf("size %dx%d, want 4x2", out.w, out.h)
	}
	for i, v := range out.pix {
		if v != 100 {
			t.Fatalf("pixel %d = %d, want 100", i, v)
		}
	}
	if same := downscale(g, 8); same.w != 8 || &same.pix[0] != &g.pix[0] {
		t.Errorf("an image within the limit was copied or resized")
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fileCases is the table for TestDecodeReader and the seeds of
// FuzzDecodeReader: image files as they come off a disk or a camera.
func fileCases(t testing.TB) []struct {
	name string
	data []byte
	want string
	err  error
} {
	code := codeImage(t, "SP:FILE", 4)
	pngData := encodePNG(t, code)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, onCanvas(code, 320, 240, 60, 40), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	// A PNG header claiming 100000x100000 pixels: refused before decoding.
	huge := bytes.Clone(pngData)
	copy(huge[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29])) // IHDR CRC
	return []struct {
		name string
		data []byte
		want string
		err  error
	}{
		{"png", pngData, "SP:FILE", nil},
		{"jpeg", jpg.Bytes(), "SP:FILE", nil},
		{"truncated png", pngData[:len(pngData)/2], "", ErrBadImage},
		{"not an image", []byte("SP:this is text, not a picture"), "", ErrBadImage},
		{"empty file", nil, "", ErrBadImage},
		{"huge dimensions", huge, "", ErrImageTooLarge},
		{"blank png", encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64))), "", ErrNoCode},
	}
}

func TestDecodeReader(t *testing.T) {
	for _, c := range fileCases(t) {
		res, err := DecodeReader(bytes.NewReader(c.data), DefaultOptions())
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.err)
			}
			continue
		}
		if err != nil || res.Text != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, res.Text, err, c.want)
		}
	}
}

func TestDecodeFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := DecodeFile(filepath.Join(dir, "missing.png"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.png")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = DecodeFile(big, Options{})
	if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), big) {
		t.Errorf("oversized file: %v", err)
	}
}

// FuzzDecodeReader: any bytes give a result or a typed error, never a
// panic, and never an unbounded allocation (the limits are checked first).
func FuzzDecodeReader(f *testing.F) {
	for _, c := range fileCases(f) {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := DecodeReader(bytes.NewReader(data), DefaultOptions())
		if err == nil {
			if res.Symbology == "" {
				t.Fatalf("decoded %q without a symbology", res.Text)
			}
			return
		}
		for _, want := range []error{ErrBadImage, ErrImageTooLarge, ErrEmptyImage, ErrNoCode, ErrUnreadable, ErrDecoderFailed} {
			if errors.Is(err, want) {
				return
			}
		}
		t.Fatalf("untyped error %v", err)
	})
}
