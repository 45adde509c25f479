package bench

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
)

// parseCases is the parser's table; the fuzz target starts from its texts.
var parseCases = []struct {
	name  string
	text  string
	names []string
	want  map[string]uint64
	err   error
}{
	{"present with HELP and TYPE", "# HELP a_total A.\n# TYPE a_total counter\na_total 3\n# HELP b_total B.\n# TYPE b_total counter\nb_total 7\n",
		[]string{"a_total", "b_total"}, map[string]uint64{"a_total": 3, "b_total": 7}, nil},
	{"other series of any shape are skipped", "go_gc_duration_seconds{quantile=\"0.5\"} 1.2e-05\nweird line without value\nx_bucket{le=\"+Inf\"} NaN\na_total 1\n",
		[]string{"a_total"}, map[string]uint64{"a_total": 1}, nil},
	{"a name that only starts like the asked one", "a_total_extra 9\na_total 2\n", []string{"a_total"}, map[string]uint64{"a_total": 2}, nil},
	{"exponent notation", "a_total 1.2e+06\n", []string{"a_total"}, map[string]uint64{"a_total": 1200000}, nil},
	{"labels skipped, braces and quotes inside", "a_total{instance=\"h:1\",x=\"}\\\" {\"} 5\n", []string{"a_total"}, map[string]uint64{"a_total": 5}, nil},
	{"timestamp, tabs, CRLF, no final newline", "a_total\t4 1700000000000\r\nb_total 0", []string{"a_total", "b_total"}, map[string]uint64{"a_total": 4, "b_total": 0}, nil},
	{"nothing asked", "junk {{{", nil, map[string]uint64{}, nil},

	{"missing", "a_total 1\n", []string{"a_total", "b_total"}, nil, ErrSeriesMissing},
	{"only in a comment", "# TYPE b_total counter\n# b_total 3\n", []string{"b_total"}, nil, ErrSeriesMissing},
	{"empty text", "", []string{"a_total"}, nil, ErrSeriesMissing},
	{"no value", "a_total\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"not a number", "a_total three\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"fraction", "a_total 2.5\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"negative", "a_total -1\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"NaN", "a_total NaN\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"infinite", "a_total +Inf\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"beyond 64 bits", "a_total 1.8446744073709552e+19\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"bad timestamp", "a_total 1 soon\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"extra field", "a_total 1 2 3\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"label set not closed", "a_total{x=\"1} 2\n", []string{"a_total"}, nil, ErrSeriesMalformed},
	{"two samples", "a_total{x=\"1\"} 2\na_total{x=\"2\"} 3\n", []string{"a_total"}, nil, ErrSeriesMalformed},
}

func TestParseCounters(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCounters([]byte(tc.text), tc.names...)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err != nil && len(tc.names) > 0 && !strings.Contains(err.Error(), "_total") {
				t.Errorf("error %q does not name the series", err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzParseCounters: the text is another process's answer. Whatever it is, ParseCounters does not
// panic, answers every name asked for or a typed error, and finds what a sample line appended
// after the text says, unless the text already had that series (then a second sample: malformed).
func FuzzParseCounters(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.text), uint64(42))
	}
	f.Fuzz(func(t *testing.T, text []byte, v uint64) {
		names := []string{"a_total", "b_total"}
		got, err := ParseCounters(text, names...)
		if err != nil {
			if !errors.Is(err, ErrSeriesMissing) && !errors.Is(err, ErrSeriesMalformed) {
				t.Fatalf("untyped error %v", err)
			}
		} else if len(got) != len(names) {
			t.Fatalf("got %v for %v", got, names)
		}
		const probe = "fuzz_probe_total"
		v &= 1<<53 - 1 // exact as a float64
		with := append(append(append([]byte{}, text...), '\n'), []byte(probe+" "+strconv.FormatUint(v, 10)+"\n")...)
		got, err = ParseCounters(with, probe)
		had := strings.Contains(string(text), probe)
		if err == nil && got[probe] != v {
			t.Fatalf("appended %s %d, read %d", probe, v, got[probe])
		}
		if err != nil && !had {
			t.Fatalf("appended %s %d to a text without it: %v", probe, v, err)
		}
	})
}
