package scanner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// traceDir holds the scanner byte traces shared with the driver tests.
const traceDir = "../../testdata/scanner"

// trace is a parsed testdata/scanner/*.trace file.
type trace struct {
	name    string
	cfg     FramerConfig
	steps   []traceStep
	frames  []Frame // At is not compared
	rejects []string
}

type traceStep struct {
	op   string // "read", "wait", "flush", "reset"
	data []byte
	wait time.Duration
}

var rejectReasons = map[string]error{
	"too-long": ErrFrameTooLong,
	"garbage":  ErrGarbage,
	"empty":    ErrEmptyPayload,
	"half":     ErrHalfFrame,
}

func loadTraces(t testing.TB) []trace {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(traceDir, "*.trace"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no traces in %s: %v", traceDir, err)
	}
	var out []trace
	for _, p := range paths {
		tr, err := parseTrace(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, tr)
	}
	return out
}

func parseTrace(path string) (trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return trace{}, err
	}
	defer f.Close()
	tr := trace{name: strings.TrimSuffix(filepath.Base(path), ".trace")}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		op, rest, _ := strings.Cut(text, " ")
		var err error
		switch op {
		case "config":
			tr.cfg, err = parseTraceConfig(rest)
		case "read":
			var s string
			s, err = strconv.Unquote(rest)
			tr.steps = append(tr.steps, traceStep{op: op, data: []byte(s)})
		case "wait":
			var d time.Duration
			d, err = time.ParseDuration(rest)
			tr.steps = append(tr.steps, traceStep{op: op, wait: d})
		case "flush", "reset":
			tr.steps = append(tr.steps, traceStep{op: op})
		case "frame":
			var sym, data string
			sym, data, err = parseTwoQuoted(rest)
			tr.frames = append(tr.frames, Frame{Symbology: sym, Data: []byte(data)})
		case "reject":
			if _, ok := rejectReasons[rest]; !ok {
				err = fmt.Errorf("unknown reject reason %q", rest)
			}
			tr.rejects = append(tr.rejects, rest)
		default:
			err = fmt.Errorf("unknown directive %q", op)
		}
		if err != nil {
			return trace{}, fmt.Errorf("line %d: %w", line, err)
		}
	}
	return tr, sc.Err()
}

func parseTraceConfig(s string) (FramerConfig, error) {
	var c FramerConfig
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "suffix":
			c.Suffix, err = ParseSuffix(v)
		case "gap":
			c.Gap, err = time.ParseDuration(v)
		case "max":
			c.MaxFrame, err = strconv.Atoi(v)
		case "keepaim":
			c.KeepAIM, err = strconv.ParseBool(v)
		case "binary":
			c.AllowBinary, err = strconv.ParseBool(v)
		default:
			err = fmt.Errorf("unknown config key %q", k)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseTwoQuoted reads `"a" "b"`.
func parseTwoQuoted(s string) (string, string, error) {
	first, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	a, _ := strconv.Unquote(first)
	b, err := strconv.Unquote(strings.TrimSpace(s[len(first):]))
	return a, b, err
}

// runTrace feeds a trace to a fresh Framer and returns what came out.
func runTrace(tr trace) (frames []Frame, rejects []Rejection) {
	cfg := tr.cfg
	cfg.OnReject = func(r Rejection) { rejects = append(rejects, r) }
	f := NewFramer(cfg)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, st := range tr.steps {
		switch st.op {
		case "read":
			frames = append(frames, f.Feed(st.data, now)...)
		case "wait":
			now = now.Add(st.wait)
		case "flush":
			frames = append(frames, f.Flush(now)...)
		case "reset":
			f.Reset(now)
		}
	}
	return frames, rejects
}

func TestTraces(t *testing.T) {
	for _, tr := range loadTraces(t) {
		t.Run(tr.name, func(t *testing.T) {
			frames, rejects := runTrace(tr)
			if len(frames) != len(tr.frames) {
				t.Fatalf("got %d frames %s, want %d %s", len(frames), describe(frames), len(tr.frames), describe(tr.frames))
			}
			for i := range frames {
				if frames[i].Symbology != tr.frames[i].Symbology || string(frames[i].Data) != string(tr.frames[i].Data) {
					t.Errorf("frame %d = %q %q, want %q %q", i, frames[i].Symbology, frames[i].Data, tr.frames[i].Symbology, tr.frames[i].Data)
				}
			}
			if len(rejects) != len(tr.rejects) {
				t.Fatalf("got %d rejections %v, want %v", len(rejects), rejects, tr.rejects)
			}
			for i, want := range tr.rejects {
				if !errors.Is(rejects[i].Reason, rejectReasons[want]) {
					t.Errorf("rejection %d = %v, want %s", i, rejects[i].Reason, want)
				}
				if rejects[i].Len <= 0 {
					t.Errorf("rejection %d reports %d bytes", i, rejects[i].Len)
				}
			}
		})
	}
}

// TestTracesAnyChunking replays each trace's reads byte by byte and merged:
// how bytes are split into reads must not change the frames.
func TestTracesAnyChunking(t *testing.T) {
	for _, tr := range loadTraces(t) {
		t.Run(tr.name, func(t *testing.T) {
			want, wantRej := runTrace(tr)
			for _, mode := range []string{"bytewise", "merged"} {
				re := rechunk(tr, mode)
				got, gotRej := runTrace(re)
				if describe(got) != describe(want) || len(gotRej) != len(wantRej) {
					t.Errorf("%s: got %s (%d rejections), want %s (%d)", mode, describe(got), len(gotRej), describe(want), len(wantRej))
				}
			}
		})
	}
}

// rechunk splits every read into single bytes, or merges consecutive reads
// that have no other step between them.
func rechunk(tr trace, mode string) trace {
	out := tr
	out.steps = nil
	for _, st := range tr.steps {
		switch {
		case st.op != "read":
			out.steps = append(out.steps, st)
		case mode == "bytewise":
			for _, b := range st.data {
				out.steps = append(out.steps, traceStep{op: "read", data: []byte{b}})
			}
		case len(out.steps) > 0 && out.steps[len(out.steps)-1].op == "read":
			last := &out.steps[len(out.steps)-1]
			last.data = append(append([]byte(nil), last.data...), st.data...)
		default:
			out.steps = append(out.steps, st)
		}
	}
	return out
}

func describe(frames []Frame) string {
	var b strings.Builder
	b.WriteString("[")
	for i, f := range frames {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s%q", f.Symbology, f.Data)
	}
	b.WriteString("]")
	return b.String()
}
