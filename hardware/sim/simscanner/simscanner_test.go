package simscanner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/stillpay/stillpay/hardware/serialport"
	"github.com/stillpay/stillpay/hardware/sim/simscanner"
)

const testTimeout = 30 * time.Second

// openPort opens the simulator's device through go.bug.st/serial, as the
// driver does.
func openPort(t *testing.T, path string) serial.Port {
	t.Helper()
	p, err := serialport.Open(context.Background(), serialport.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.SetReadTimeout(50 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return p
}

// readN reads exactly n bytes (bounded by ctx).
func readN(t *testing.T, ctx context.Context, p serial.Port, n int) []byte {
	t.Helper()
	out := make([]byte, 0, n)
	buf := make([]byte, 256)
	for len(out) < n {
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d bytes: %q", len(out), n, out)
		}
		k, err := p.Read(buf[:min(len(buf), n-len(out))])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf[:k]...)
	}
	return out
}

func TestSendBytes(t *testing.T) {
	cases := []struct {
		opts    simscanner.Options
		payload string
		want    string
	}{
		{simscanner.Options{}, "SP:ABC", "SP:ABC\r"},
		{simscanner.Options{Suffix: "LF", AIM: true}, "SP:ABC", "]Q1SP:ABC\n"},
		{simscanner.Options{Suffix: "CRLF", AIM: true, Symbology: "]C0", SplitWrites: true, MaxChunk: 2}, "CODE128", "]C0CODE128\r\n"},
		{simscanner.Options{Suffix: "none"}, "café", "café"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			sim, err := simscanner.New(c.opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			p := openPort(t, sim.Path())
			if err := sim.Send(ctx, c.payload); err != nil {
				t.Fatal(err)
			}
			if got := readN(t, ctx, p, len(c.want)); string(got) != c.want {
				t.Errorf("port read %q, want %q", got, c.want)
			}
		})
	}
}

func TestSendRejectsSuffixInPayload(t *testing.T) {
	sim, err := simscanner.New(simscanner.Options{Suffix: "CR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Send(context.Background(), "two\rcodes"); !errors.Is(err, simscanner.ErrBadPayload) {
		t.Errorf("Send with CR inside = %v, want ErrBadPayload", err)
	}
	if _, err := simscanner.New(simscanner.Options{Suffix: "none", Noise: true}, nil); err == nil {
		t.Error("noise without a suffix was accepted")
	}
	if _, err := simscanner.New(simscanner.Options{Suffix: "TAB"}, nil); err == nil {
		t.Error("suffix TAB was accepted")
	}
}

// TestNoiseIsDeterministic: equal seeds give equal byte streams, and the
// noise really is there.
func TestNoiseIsDeterministic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	stream := func() []byte {
		sim, err := simscanner.New(simscanner.Options{Suffix: "CR", Noise: true, NoiseRate: 1, SplitWrites: true, Seed: 99}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		p := openPort(t, sim.Path())
		for _, s := range []string{"A", "B", "C"} {
			if err := sim.Send(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := sim.SendRaw(ctx, []byte("#")); err != nil {
			t.Fatal(err)
		}
		var out []byte
		for !bytes.HasSuffix(out, []byte("#")) {
			out = append(out, readN(t, ctx, p, 1)...)
		}
		return out
	}
	a, b := stream(), stream()
	if !bytes.Equal(a, b) {
		t.Errorf("same seed, different streams:\n%q\n%q", a, b)
	}
	if len(a) <= len("A\rB\rC\r#") || bytes.Count(a, []byte("\r")) != 6 {
		t.Errorf("stream %q lacks one noise burst per frame", a)
	}
}

func TestUnplugReplugLink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	link := filepath.Join(t.TempDir(), "scanner")
	sim, err := simscanner.New(simscanner.Options{Link: link}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if sim.Path() != link {
		t.Fatalf("Path = %q, want the link", sim.Path())
	}
	p := openPort(t, link)
	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link still there after unplug: %v", err)
	}
	if err := sim.Send(ctx, "X"); !errors.Is(err, simscanner.ErrUnplugged) {
		t.Errorf("Send while unplugged = %v", err)
	}
	buf := make([]byte, 8)
	var perr *serial.PortError
	if _, err := p.Read(buf); !errors.As(err, &perr) || perr.Code() != serial.PortClosed {
		t.Errorf("read after unplug = %v, want PortClosed", err)
	}
	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	target, err := os.Readlink(link)
	if err != nil || target != sim.PTY() {
		t.Fatalf("link -> %q, %v; want %q", target, err, sim.PTY())
	}
	p2 := openPort(t, link)
	if err := sim.Send(ctx, "AGAIN"); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, ctx, p2, 6); string(got) != "AGAIN\r" {
		t.Errorf("after replug read %q", got)
	}
	if err := sim.Replug(); err == nil {
		t.Error("replug while plugged in succeeded")
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := sim.Send(ctx, "X"); !errors.Is(err, simscanner.ErrClosed) {
		t.Errorf("Send after Close = %v", err)
	}
	if _, err := os.Lstat(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link left after Close")
	}
}

// TestSendImage decodes a committed camera-like image and sends its text.
func TestSendImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const dir = "../../../testdata/qr"
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct{ File, Text string }
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	var file, text, blank string
	for _, e := range manifest {
		if e.File == "clean-centered.png" {
			file, text = e.File, e.Text
		}
		if e.Text == "" {
			blank = e.File
		}
	}
	if file == "" {
		t.Fatal("clean-centered.png not in the manifest")
	}
	sim, err := simscanner.New(simscanner.Options{AIM: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	p := openPort(t, sim.Path())
	if err := sim.SendImage(ctx, filepath.Join(dir, file)); err != nil {
		t.Fatal(err)
	}
	want := "]Q1" + text + "\r"
	if got := readN(t, ctx, p, len(want)); string(got) != want {
		t.Errorf("read %q, want %q", got, want)
	}
	if err := sim.SendImage(ctx, filepath.Join(dir, blank)); err == nil {
		t.Error("an image without a code was sent")
	}
}
