package scanner

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestParseSuffix(t *testing.T) {
	for in, want := range map[string]Suffix{"": SuffixAuto, "auto": SuffixAuto, "cr": SuffixCR, "CR": SuffixCR, "LF": SuffixLF, "crlf": SuffixCRLF} {
		got, err := ParseSuffix(in)
		if err != nil || got != want {
			t.Errorf("ParseSuffix(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"TAB", "CRCR", "0x0d"} {
		if _, err := ParseSuffix(bad); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseSuffix(%q) err = %v, want ErrInvalidConfig", bad, err)
		}
	}
}

// TestFramerBoundedMemory feeds a megabyte without a suffix: the pending
// buffer never grows past MaxFrame and one rejection reports every byte.
func TestFramerBoundedMemory(t *testing.T) {
	var rejects []Rejection
	f := NewFramer(FramerConfig{Suffix: SuffixCR, MaxFrame: 1024, OnReject: func(r Rejection) { rejects = append(rejects, r) }})
	chunk := bytes.Repeat([]byte("A"), 4096)
	for range 256 {
		if got := f.Feed(chunk, t0); len(got) != 0 {
			t.Fatalf("frame from an endless line: %q", got[0].Data)
		}
		if cap(f.buf) > 1024 {
			t.Fatalf("pending buffer grew to %d bytes", cap(f.buf))
		}
	}
	if f.Pending() != 256*4096 {
		t.Errorf("Pending = %d, want %d", f.Pending(), 256*4096)
	}
	got := f.Feed([]byte("\rSP:OK\r"), t0)
	if len(got) != 1 || string(got[0].Data) != "SP:OK" {
		t.Fatalf("after the endless line got %s, want [\"SP:OK\"]", describe(got))
	}
	if len(rejects) != 1 || !errors.Is(rejects[0].Reason, ErrFrameTooLong) || rejects[0].Len != 256*4096 {
		t.Fatalf("rejections = %+v, want one ErrFrameTooLong of %d bytes", rejects, 256*4096)
	}
}

func TestFramerMaxFrameBoundary(t *testing.T) {
	for _, c := range []struct {
		n      int
		frames int
	}{{15, 1}, {16, 1}, {17, 0}} {
		var rejected int
		f := NewFramer(FramerConfig{Suffix: SuffixCR, MaxFrame: 16, OnReject: func(Rejection) { rejected++ }})
		got := f.Feed([]byte(strings.Repeat("x", c.n)+"\r"), t0)
		if len(got) != c.frames || rejected != 1-c.frames {
			t.Errorf("%d bytes, limit 16: %d frames, %d rejections; want %d frames", c.n, len(got), rejected, c.frames)
		}
	}
}

func TestFramerResetReportsHalfFrame(t *testing.T) {
	var rejects []Rejection
	f := NewFramer(FramerConfig{Suffix: SuffixCRLF, OnReject: func(r Rejection) { rejects = append(rejects, r) }})
	f.Feed([]byte("SP:HALF\r"), t0) // the CR may be the start of CRLF
	if n := f.Reset(t0); n != len("SP:HALF\r") {
		t.Errorf("Reset dropped %d bytes, want %d", n, len("SP:HALF\r"))
	}
	if f.Pending() != 0 {
		t.Errorf("Pending after Reset = %d", f.Pending())
	}
	if n := f.Reset(t0); n != 0 {
		t.Errorf("second Reset dropped %d bytes", n)
	}
	if len(rejects) != 1 || !errors.Is(rejects[0].Reason, ErrHalfFrame) {
		t.Fatalf("rejections = %+v, want one ErrHalfFrame", rejects)
	}
	got := f.Feed([]byte("\nSP:NEXT\r\n"), t0)
	if describe(got) != `["SP:NEXT"]` {
		t.Errorf("after reset got %s", describe(got))
	}
}

func TestFramerFrameTimes(t *testing.T) {
	f := NewFramer(FramerConfig{Suffix: SuffixCR, Gap: 100 * time.Millisecond})
	got := f.Feed([]byte("A\rB"), t0)
	if len(got) != 1 || !got[0].At.Equal(t0) {
		t.Fatalf("suffix frame %+v, want At %v", got, t0)
	}
	if got := f.Flush(t0.Add(99 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("flushed before the gap: %s", describe(got))
	}
	got = f.Flush(t0.Add(100 * time.Millisecond))
	if len(got) != 1 || string(got[0].Data) != "B" || !got[0].At.Equal(t0) {
		t.Fatalf("gap frame %+v, want B at the time of its last byte", got)
	}
}

func TestFramerNoGapWhenDisabled(t *testing.T) {
	f := NewFramer(FramerConfig{Suffix: SuffixCR})
	f.Feed([]byte("ABC"), t0)
	if got := f.Flush(t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("gap framing off but got %s", describe(got))
	}
	if got := f.Feed([]byte("DEF\r"), t0.Add(2*time.Hour)); describe(got) != `["ABCDEF"]` {
		t.Fatalf("got %s", describe(got))
	}
}

// TestFramerOwnsNothing checks that returned frames do not alias the
// caller's read buffer, which the driver reuses for the next Read.
func TestFramerOwnsNothing(t *testing.T) {
	f := NewFramer(FramerConfig{Suffix: SuffixCR, KeepAIM: true, AllowBinary: true})
	buf := []byte("SP:ONE\r")
	got := f.Feed(buf, t0)
	copy(buf, "XXXXXXX")
	if string(got[0].Data) != "SP:ONE" {
		t.Fatalf("frame changed with the read buffer: %q", got[0].Data)
	}
}

// TestFramerSuffixMismatch: frames that only the gap ends and that hold a
// line ending the config does not use are reported with the scanner's suffix.
func TestFramerSuffixMismatch(t *testing.T) {
	for _, c := range []struct {
		name   string
		suffix Suffix
		in     string
		want   []Suffix
		frames int
	}{
		{"LF scanner, CR config", SuffixCR, "SP2:ABC\n", []Suffix{SuffixLF}, 1},
		{"CR scanner, LF config", SuffixLF, "SP2:ABC\r", []Suffix{SuffixCR}, 1},
		{"CR scanner, CRLF config", SuffixCRLF, "SP2:ABC\r", []Suffix{SuffixCR}, 1},
		{"LF scanner, CRLF config", SuffixCRLF, "SP2:ABC\n", []Suffix{SuffixLF}, 1},
		{"matching CR", SuffixCR, "SP2:ABC\r", nil, 1},
		{"auto", SuffixAuto, "SP2:ABC\n", nil, 1},
		{"CRLF scanner, CR config: only the LF tail is left", SuffixCR, "SP2:ABC\r\n", nil, 1},
		{"no suffix at all", SuffixCR, "SP2:ABC", nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []Suffix
			f := NewFramer(FramerConfig{Suffix: c.suffix, Gap: 50 * time.Millisecond, OnSuffixMismatch: func(s Suffix) { got = append(got, s) }})
			frames := f.Feed([]byte(c.in), t0)
			frames = append(frames, f.Flush(t0.Add(time.Second))...)
			if len(frames) != c.frames || (len(frames) == 1 && string(frames[0].Data) != "SP2:ABC") {
				t.Errorf("frames = %s, want %d of SP2:ABC", describe(frames), c.frames)
			}
			if len(got) != len(c.want) || (len(got) == 1 && got[0] != c.want[0]) {
				t.Errorf("mismatches = %v, want %v", got, c.want)
			}
		})
	}
	// Without gap framing the frame overflows; the mismatch is still reported.
	var got []Suffix
	f := NewFramer(FramerConfig{Suffix: SuffixCR, MaxFrame: 32, OnSuffixMismatch: func(s Suffix) { got = append(got, s) }})
	f.Feed([]byte(strings.Repeat("SP2:ABC\n", 5)+"\r"), t0)
	if len(got) != 1 || got[0] != SuffixLF {
		t.Errorf("overflow: mismatches = %v, want [LF]", got)
	}
	if msg := MismatchMessage(SuffixLF); msg != "scanner suffix mismatch: frames end in LF; set scanner.suffix: LF or auto" {
		t.Errorf("message %q", msg)
	}
}
