package imaging

import (
	"context"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/scanner"
)

const sourceTestTimeout = 30 * time.Second

func writePNG(t *testing.T, path, text string) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 240
	}
	if text != "" {
		img = codeImage(t, text, 5)
	}
	data := encodePNG(t, img)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCameraSource: a simulated camera shows the same code in consecutive
// frames, then nothing, then another code; each presentation is one scan.
func TestCameraSource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), sourceTestTimeout)
	defer cancel()
	dir := t.TempDir()
	a, blank, b, bad := filepath.Join(dir, "a.png"), filepath.Join(dir, "blank.png"), filepath.Join(dir, "b.png"), filepath.Join(dir, "bad.png")
	writePNG(t, a, "SP:CODE-A")
	writePNG(t, blank, "")
	writePNG(t, b, "SP:CODE-B")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	cam := NewFileCamera(a, a, a, blank, bad, b, b)
	var src scanner.Source = NewCameraSource(cam, Options{}, nil)
	var got []string
	for {
		f, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Symbology != "]Q1" {
			t.Errorf("symbology %q", f.Symbology)
		}
		got = append(got, string(f.Data))
	}
	if len(got) != 2 || got[0] != "SP:CODE-A" || got[1] != "SP:CODE-B" {
		t.Fatalf("got %q, want one CODE-A then one CODE-B", got)
	}
	if src.State() != scanner.Connected {
		t.Errorf("state %v after a bad frame then good ones", src.State())
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(ctx); !errors.Is(err, scanner.ErrClosed) {
		t.Errorf("Next after Close = %v", err)
	}
}

// TestCameraSourceRepeatAfterHoldoff: the same code shown again after it
// left the view for longer than the hold-off is a new scan.
func TestCameraSourceRepeatAfterHoldoff(t *testing.T) {
	s := NewCameraSource(NewFileCamera(), Options{}, nil)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		at     time.Duration
		repeat bool
	}{{0, false}, {100 * time.Millisecond, true}, {1500 * time.Millisecond, true}, {1500*time.Millisecond + repeatHoldoff, false}}
	for _, st := range steps {
		if got := s.isRepeat("SP:X", t0.Add(st.at)); got != st.repeat {
			t.Errorf("at %v: repeat = %v, want %v", st.at, got, st.repeat)
		}
	}
}

// failingCamera fails every capture.
type failingCamera struct{}

func (failingCamera) Capture(context.Context) (image.Image, error) {
	return nil, errors.New("v4l2: device gone")
}
func (failingCamera) Close() error { return nil }

func TestCameraSourceGivesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), sourceTestTimeout)
	defer cancel()
	s := NewCameraSource(failingCamera{}, Options{}, nil)
	_, err := s.Next(ctx)
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Next = %v, want a camera failure", err)
	}
	if s.State() != scanner.Reconnecting {
		t.Errorf("state %v, want reconnecting", s.State())
	}
}

// TestDirSource: files dropped into a watched directory are decoded once
// each; files without a code are skipped.
func TestDirSource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), sourceTestTimeout)
	defer cancel()
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "old.png"), "SP:OLD")
	src, err := NewDirSource(dir, Options{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	writePNG(t, filepath.Join(dir, "1-blank.png"), "")
	writePNG(t, filepath.Join(dir, "2-new.png"), "SP:NEW")
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := src.Next(ctx)
	if err != nil || string(f.Data) != "SP:NEW" {
		t.Fatalf("got %q, %v; want SP:NEW", f.Data, err)
	}
	writePNG(t, filepath.Join(dir, "3-later.png"), "SP:LATER")
	f, err = src.Next(ctx)
	if err != nil || string(f.Data) != "SP:LATER" {
		t.Fatalf("got %q, %v; want SP:LATER", f.Data, err)
	}
	if _, err := NewDirSource(filepath.Join(dir, "missing"), Options{}, false, nil); err == nil {
		t.Error("watching a missing directory succeeded")
	}
}
