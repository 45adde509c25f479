package scanner

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzConfigs are the framer settings the fuzzer chooses among.
var fuzzConfigs = []FramerConfig{
	{Suffix: SuffixCR},
	{Suffix: SuffixLF},
	{Suffix: SuffixCRLF},
	{Suffix: SuffixAuto},
	{Suffix: SuffixCR, MaxFrame: 8},
	{Suffix: SuffixCRLF, MaxFrame: 5},
	{Suffix: SuffixAuto, KeepAIM: true, AllowBinary: true},
	{Suffix: SuffixCR, KeepAIM: true, AllowBinary: true, MaxFrame: 16}, // the oracle config
}

const oracleConfig = 7

func feedAll(cfg FramerConfig, chunks ...[]byte) (frames []Frame, rejected int) {
	cfg.OnReject = func(Rejection) { rejected++ }
	f := NewFramer(cfg)
	for _, c := range chunks {
		frames = append(frames, f.Feed(c, t0)...)
	}
	return frames, rejected
}

// FuzzFramer checks, for any bytes and any split into two reads: the frames
// do not depend on the split; every frame is bounded, non-empty, free of
// line endings and (unless binary is allowed) text; and for a CR framer that
// keeps everything, the frames equal a simple split on CR.
func FuzzFramer(f *testing.F) {
	for _, tr := range loadTraces(f) {
		var all []byte
		for _, st := range tr.steps {
			all = append(all, st.data...)
		}
		for i := range fuzzConfigs {
			f.Add(all, uint8(i), uint16(len(all)/2))
		}
	}
	for _, c := range aimCases {
		f.Add([]byte(c.in+"\r"), uint8(0), uint16(1))
	}
	f.Add([]byte(strings.Repeat("x", 20)+"\r\n"), uint8(4), uint16(9))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8, split uint16) {
		cfg := fuzzConfigs[int(sel)%len(fuzzConfigs)]
		k := int(split) % (len(data) + 1)
		whole, wholeRej := feedAll(cfg, data)
		parts, partsRej := feedAll(cfg, data[:k], data[k:])
		if describe(whole) != describe(parts) || wholeRej != partsRej {
			t.Fatalf("split at %d changed the result: %s (%d rejected) vs %s (%d rejected)", k, describe(whole), wholeRej, describe(parts), partsRej)
		}
		maxFrame := cfg.MaxFrame
		if maxFrame == 0 {
			maxFrame = DefaultMaxFrame
		}
		for _, fr := range whole {
			if len(fr.Data) == 0 || len(fr.Data) > maxFrame {
				t.Fatalf("frame of %d bytes, limit %d", len(fr.Data), maxFrame)
			}
			if fr.Data[0] == '\r' || fr.Data[0] == '\n' || fr.Data[len(fr.Data)-1] == '\r' || fr.Data[len(fr.Data)-1] == '\n' {
				t.Fatalf("frame %q keeps a line ending", fr.Data)
			}
			if cfg.Suffix == SuffixAuto && bytes.ContainsAny(fr.Data, "\r\n") {
				t.Fatalf("auto framer delivered %q", fr.Data)
			}
			if !cfg.AllowBinary {
				if off, what := firstNonText(fr.Data); off >= 0 || !utf8.Valid(fr.Data) {
					t.Fatalf("text framer delivered %q (%s)", fr.Data, what)
				}
			}
			if fr.Symbology != "" {
				if _, _, ok := ParseAIM([]byte(fr.Symbology)); !ok {
					t.Fatalf("bad symbology %q", fr.Symbology)
				}
			}
		}
		if int(sel)%len(fuzzConfigs) == oracleConfig {
			var want []string
			lines := bytes.Split(data, []byte("\r"))
			for _, line := range lines[:len(lines)-1] { // the last one is unterminated
				// The limit applies to the raw frame, stray line endings included.
				if len(line) > maxFrame {
					continue
				}
				line = bytes.Trim(line, "\r\n")
				if len(line) > 0 {
					want = append(want, string(line))
				}
			}
			if len(want) != len(whole) {
				t.Fatalf("oracle: %d frames %q, framer: %s", len(want), want, describe(whole))
			}
			for i := range want {
				if want[i] != string(whole[i].Data) {
					t.Fatalf("oracle frame %d = %q, framer %q", i, want[i], whole[i].Data)
				}
			}
		}
	})
}
