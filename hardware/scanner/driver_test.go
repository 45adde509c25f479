package scanner_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/hardware/serialport"
	"github.com/stillpay/stillpay/hardware/sim/simscanner"
)

// testTimeout bounds every driver test; none waits on a clock for its
// assertions, it only must not hang.
const testTimeout = 60 * time.Second

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// newSim starts a simulated scanner with a udev-like link in a temp dir.
func newSim(t *testing.T, opts simscanner.Options) *simscanner.Scanner {
	t.Helper()
	opts.Link = filepath.Join(t.TempDir(), "scanner")
	sim, err := simscanner.New(opts, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func openScanner(t *testing.T, ctx context.Context, cfg scanner.Config) *scanner.Scanner {
	t.Helper()
	sc, err := scanner.Open(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// payloadRunes are what random payloads are made of: printable ASCII and
// some multi-byte UTF-8 (accented names, the euro sign, CJK).
var payloadRunes = []rune(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~éüß€中文")

// randomPayload returns a payload a scanner could send: 1..maxLen runes,
// not starting with ']' (which with two more characters would read as an
// AIM identifier when the scanner sends none).
func randomPayload(rng *rand.Rand, maxLen int) string {
	n := 1 + rng.IntN(maxLen)
	if rng.IntN(10) == 0 { // a realistic stillpay code now and then
		return "SP:" + randomFrom(rng, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", 380)
	}
	var b strings.Builder
	for b.Len() == 0 || b.Len() < n {
		r := payloadRunes[rng.IntN(len(payloadRunes))]
		if b.Len() == 0 && r == ']' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func randomFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// TestThousandPayloads drives the real driver through a pty: 1,000 random
// payloads per suffix variant, written in random pieces with noise bursts
// between frames, must arrive exactly once each, in order, byte-exact.
func TestThousandPayloads(t *testing.T) {
	const payloads = 1000
	variants := []struct {
		simSuffix, driverSuffix string
		aim                     bool
	}{
		{"CR", "CR", true},
		{"LF", "LF", false},
		{"CRLF", "CRLF", true},
		{"mixed", "auto", false},
	}
	for i, v := range variants {
		t.Run(v.simSuffix, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			sim := newSim(t, simscanner.Options{Suffix: v.simSuffix, AIM: v.aim, SplitWrites: true, MaxChunk: 64, Noise: true, Seed: int64(i)})
			// Frames here always end with a suffix; the gap is long so that a
			// stall of the writing goroutine on a loaded CI machine cannot cut
			// a frame. Gap framing has its own test.
			sc := openScanner(t, ctx, scanner.Config{Port: serialport.Config{Path: sim.Path()}, Suffix: v.driverSuffix, Gap: 5 * time.Second})

			rng := rand.New(rand.NewPCG(uint64(i), 42))
			sent := make([]string, payloads)
			for j := range sent {
				sent[j] = randomPayload(rng, 300)
			}
			sendErr := make(chan error, 1)
			go func() {
				for _, p := range sent {
					if err := sim.Send(ctx, p); err != nil {
						sendErr <- err
						return
					}
				}
				sendErr <- nil
			}()
			for j, want := range sent {
				f, err := sc.Next(ctx)
				if err != nil {
					t.Fatalf("frame %d: %v (stats %+v)", j, err, sc.Stats())
				}
				if string(f.Data) != want {
					t.Fatalf("frame %d = %q, want %q", j, f.Data, want)
				}
				wantSym := ""
				if v.aim {
					wantSym = "]Q1"
				}
				if f.Symbology != wantSym {
					t.Fatalf("frame %d symbology %q, want %q", j, f.Symbology, wantSym)
				}
			}
			if err := <-sendErr; err != nil {
				t.Fatal(err)
			}
			st := sc.Stats()
			if st.Frames != payloads {
				t.Errorf("driver counted %d frames, want %d", st.Frames, payloads)
			}
			if st.Rejected == 0 {
				t.Errorf("no noise burst was rejected; the noise path was not exercised")
			}
			// Nothing extra may be queued: a marker sent last must be next.
			if err := sim.Send(ctx, "END"); err != nil {
				t.Fatal(err)
			}
			if f, err := sc.Next(ctx); err != nil || string(f.Data) != "END" {
				t.Fatalf("after %d payloads got %q, %v; want END", payloads, f.Data, err)
			}
		})
	}
}

// TestUnplugReplug pulls the cable in the middle of a frame: the half frame
// is dropped, the driver reports the state changes, finds the device again
// at the same (symlinked) path, and every complete code arrives once.
func TestUnplugReplug(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sim := newSim(t, simscanner.Options{Suffix: "CR", SplitWrites: true})
	sc := openScanner(t, ctx, scanner.Config{Port: serialport.Config{Path: sim.Path()}, Suffix: "CR", Gap: 5 * time.Second})
	if err := sc.WaitState(ctx, scanner.Connected); err != nil {
		t.Fatal(err)
	}
	firstPTY := sim.PTY()
	rng := rand.New(rand.NewPCG(7, 7))
	expectFrames := func(n int, tag string) {
		t.Helper()
		var want []string
		for k := range n {
			p := fmt.Sprintf("%s-%03d-%s", tag, k, randomPayload(rng, 80))
			want = append(want, p)
			if err := sim.Send(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		for k, w := range want {
			f, err := sc.Next(ctx)
			if err != nil {
				t.Fatalf("%s frame %d: %v", tag, k, err)
			}
			if string(f.Data) != w {
				t.Fatalf("%s frame %d = %q, want %q", tag, k, f.Data, w)
			}
		}
	}
	for round := range 3 {
		expectFrames(50, fmt.Sprintf("before%d", round))
		if err := sim.SendRaw(ctx, []byte("SP:HALF-OF-A-CODE-CUT-BY-THE-UNPLUG")); err != nil {
			t.Fatal(err)
		}
		if err := sim.Unplug(); err != nil {
			t.Fatal(err)
		}
		if err := sc.WaitState(ctx, scanner.Disconnected, scanner.Reconnecting); err != nil {
			t.Fatal(err)
		}
		if err := sim.Replug(); err != nil {
			t.Fatal(err)
		}
		if err := sc.WaitState(ctx, scanner.Connected); err != nil {
			t.Fatal(err)
		}
		// The first code after the replug must arrive whole, not glued
		// to the half code from before.
		expectFrames(50, fmt.Sprintf("after%d", round))
	}
	if sim.PTY() == firstPTY {
		t.Logf("pty path reused (%s); the link still had to be reopened", firstPTY)
	}
	if st := sc.Stats(); st.Reconnects != 3 {
		t.Errorf("Reconnects = %d, want 3", st.Reconnects)
	}
}

// TestUnplugWhileSending pulls the cable while a writer streams codes in
// small pieces, at random moments. Codes in flight may be lost (as with a
// real cable), but what arrives is a subsequence of what was sent, in
// order, with no duplicate and no bogus frame, and codes sent after the
// replug all arrive.
func TestUnplugWhileSending(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sim := newSim(t, simscanner.Options{Suffix: "CRLF", SplitWrites: true, MaxChunk: 4, Seed: 3})
	sc := openScanner(t, ctx, scanner.Config{Port: serialport.Config{Path: sim.Path()}, Suffix: "CRLF", Gap: 5 * time.Second})

	got := make(chan string, 4096)
	go func() {
		for {
			f, err := sc.Next(ctx)
			if err != nil {
				close(got)
				return
			}
			got <- string(f.Data)
		}
	}()
	var sent []string
	for k := 0; k < 300; k++ {
		p := fmt.Sprintf("CODE-%04d-%s", k, strings.Repeat("x", k%50))
		err := sim.Send(ctx, p)
		switch {
		case err == nil:
			sent = append(sent, p)
		case errors.Is(err, simscanner.ErrUnplugged):
		default:
			t.Fatal(err)
		}
		if k%60 == 30 {
			if err := sim.Unplug(); err != nil {
				t.Fatal(err)
			}
			if err := sc.WaitState(ctx, scanner.Disconnected, scanner.Reconnecting); err != nil {
				t.Fatal(err)
			}
			if err := sim.Replug(); err != nil {
				t.Fatal(err)
			}
			if err := sc.WaitState(ctx, scanner.Connected); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := sim.Send(ctx, "END"); err != nil {
		t.Fatal(err)
	}
	sent = append(sent, "END")
	next := 0 // index in sent of the next code that may arrive
	var received []string
	for s := range got {
		received = append(received, s)
		for next < len(sent) && sent[next] != s {
			next++
		}
		if next == len(sent) {
			t.Fatalf("received %q which was not sent, or out of order (received so far %d)", s, len(received))
		}
		next++
		if s == "END" {
			break
		}
	}
	// Everything sent after the last replug (k > 270) must have arrived.
	tail := 0
	for _, s := range received {
		var k int
		if _, err := fmt.Sscanf(s, "CODE-%04d-", &k); err == nil && k > 270 {
			tail++
		}
	}
	if want := 300 - 271; tail != want {
		t.Errorf("%d of the %d codes sent after the last replug arrived", tail, want)
	}
	t.Logf("%d of %d codes arrived across 5 unplugs", len(received), len(sent))
}

// TestGapFraming: a scanner whose suffix was reset to none is framed by the
// inter-character gap.
func TestGapFraming(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sim := newSim(t, simscanner.Options{Suffix: "none"})
	sc := openScanner(t, ctx, scanner.Config{Port: serialport.Config{Path: sim.Path()}, Suffix: "CR", Gap: 40 * time.Millisecond, ReadTimeout: 10 * time.Millisecond})
	for k := range 10 {
		want := fmt.Sprintf("SP:NOSUFFIX-%d", k)
		if err := sim.Send(ctx, want); err != nil {
			t.Fatal(err)
		}
		f, err := sc.Next(ctx)
		if err != nil || string(f.Data) != want {
			t.Fatalf("got %q, %v; want %q", f.Data, err, want)
		}
	}
}

// TestHostileStreams sends what a broken or misconfigured scanner sends:
// an endless line, binary garbage, a lone AIM identifier. Each is
// rejected; the good codes between them arrive.
func TestHostileStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sim := newSim(t, simscanner.Options{Suffix: "CR"})
	sc := openScanner(t, ctx, scanner.Config{Port: serialport.Config{Path: sim.Path()}, Suffix: "CR", Gap: -1, MaxFrame: 512})
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(rng.IntN(256))
		if garbage[i] == '\r' || garbage[i] == '\n' {
			garbage[i] = 0
		}
	}
	streams := [][]byte{
		[]byte(strings.Repeat("9", 200_000) + "\r"), // endless line: too long
		append(garbage, '\r'),                       // binary garbage: too long
		[]byte("\x00\x1b\x07\xff\r"),                // short garbage
		[]byte("]Q1\r"),                             // identifier only
	}
	go func() {
		for k, s := range streams {
			if err := sim.SendRaw(ctx, s); err != nil {
				return
			}
			_ = sim.Send(ctx, fmt.Sprintf("GOOD-%d", k))
		}
	}()
	for k := range streams {
		f, err := sc.Next(ctx)
		if err != nil || string(f.Data) != fmt.Sprintf("GOOD-%d", k) {
			t.Fatalf("after hostile stream %d got %q, %v", k, f.Data, err)
		}
	}
	if st := sc.Stats(); st.Rejected != int64(len(streams)) {
		t.Errorf("Rejected = %d, want %d", st.Rejected, len(streams))
	}
}

// TestTracesThroughPTY replays every trace without timing steps through the
// pty and the real serial code path.
func TestTracesThroughPTY(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/scanner/*.trace")
	for _, p := range paths {
		tr := readPTYTrace(t, p)
		if tr == nil {
			continue // uses wait/flush/reset: framer-only
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			sim := newSim(t, simscanner.Options{Suffix: "CR", SplitWrites: true, MaxChunk: 3})
			cfg := tr.cfg
			cfg.Port = serialport.Config{Path: sim.Path()}
			cfg.Gap = -1
			sc := openScanner(t, ctx, cfg)
			for _, r := range tr.reads {
				if err := sim.SendRaw(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			for i, w := range tr.frames {
				f, err := sc.Next(ctx)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if f.Symbology != w[0] || string(f.Data) != w[1] {
					t.Fatalf("frame %d = %q %q, want %q %q", i, f.Symbology, f.Data, w[0], w[1])
				}
			}
		})
	}
}

type ptyTrace struct {
	cfg    scanner.Config
	reads  [][]byte
	frames [][2]string
}

// readPTYTrace reads the subset of the trace format that needs no clock.
func readPTYTrace(t *testing.T, path string) *ptyTrace {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := &ptyTrace{}
	for _, line := range strings.Split(string(data), "\n") {
		op, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch op {
		case "wait", "flush", "reset":
			return nil
		case "config":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "suffix":
					tr.cfg.Suffix = v
				case "max":
					fmt.Sscan(v, &tr.cfg.MaxFrame)
				case "keepaim":
					tr.cfg.KeepAIM = v == "true"
				case "binary":
					tr.cfg.AllowBinary = v == "true"
				}
			}
		case "read":
			var s string
			if _, err := fmt.Sscanf(rest, "%q", &s); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			tr.reads = append(tr.reads, []byte(s))
		case "frame":
			var sym, d string
			if _, err := fmt.Sscanf(rest, "%q %q", &sym, &d); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			tr.frames = append(tr.frames, [2]string{sym, d})
		}
	}
	return tr
}

// TestOpenErrors: a path that is not a serial device fails Open with
// ErrNotSerial; a missing device does not fail Open, the scanner waits for
// it and picks it up when it appears.
func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := scanner.Open(ctx, scanner.Config{Port: serialport.Config{Path: "/dev/null"}}, nil)
	if !errors.Is(err, serialport.ErrNotSerial) {
		t.Errorf("Open(/dev/null) err = %v, want ErrNotSerial", err)
	}
	_, err = scanner.Open(ctx, scanner.Config{Port: serialport.Config{Path: "/dev/null"}, Suffix: "TAB"}, nil)
	if !errors.Is(err, scanner.ErrInvalidConfig) {
		t.Errorf("Open with suffix TAB err = %v, want ErrInvalidConfig", err)
	}

	link := filepath.Join(t.TempDir(), "late-scanner")
	sc := openScanner(t, ctx, scanner.Config{Port: serialport.Config{Path: link}, Suffix: "CR"})
	if err := sc.WaitState(ctx, scanner.Reconnecting); err != nil {
		t.Fatal(err)
	}
	sim, err := simscanner.New(simscanner.Options{Suffix: "CR", Link: link}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sc.WaitState(ctx, scanner.Connected); err != nil {
		t.Fatal(err)
	}
	if err := sim.Send(ctx, "SP:LATE"); err != nil {
		t.Fatal(err)
	}
	if f, err := sc.Next(ctx); err != nil || string(f.Data) != "SP:LATE" {
		t.Fatalf("got %q, %v", f.Data, err)
	}
}

// TestCloseUnblocksNext: Close ends a pending Next with ErrClosed and is
// idempotent.
func TestCloseUnblocksNext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	sim := newSim(t, simscanner.Options{})
	sc, err := scanner.Open(ctx, scanner.Config{Port: serialport.Config{Path: sim.Path()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := sc.Next(ctx)
		errc <- err
	}()
	if err := sc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, scanner.ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	if err := sc.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if sc.State() != scanner.Closed {
		t.Errorf("State = %v, want closed", sc.State())
	}
}
