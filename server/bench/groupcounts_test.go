package bench

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestGroupCountsDelta: a phase's ratio comes from two good readings only; a failed or backwards
// reading leaves the column empty and is said once, not once per phase.
func TestGroupCountsDelta(t *testing.T) {
	errDown := errors.New("connection refused")
	for _, tc := range []struct {
		name          string
		before, after pair
		readErr       error
		count         uint64
		per           float64
		said          string
	}{
		{"grown", pair{10, 40, true}, pair{14, 60, true}, nil, 4, 5, ""},
		{"no commits in the phase", pair{10, 40, true}, pair{10, 40, true}, nil, 0, 0, ""},
		{"backwards", pair{10, 40, true}, pair{2, 8, true}, nil, 0, 0, "went backwards"},
		{"writes backwards", pair{10, 40, true}, pair{11, 30, true}, nil, 0, 0, "went backwards"},
		{"no reading before", pair{}, pair{14, 60, true}, nil, 0, 0, ""},
		{"no reading after", pair{10, 40, true}, pair{}, nil, 0, 0, ""},
		{"read fails", pair{}, pair{}, errDown, 0, 0, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			g := &groupCounts{column: "writes/commit", progress: &out,
				read: func() (uint64, uint64, error) { return 1, 1, tc.readErr }}
			if tc.readErr != nil {
				for range 3 {
					if p := g.take(); p.ok {
						t.Fatalf("a failed read gave %+v", p)
					}
				}
			}
			for range 2 {
				count, per := g.delta(tc.before, tc.after)
				if count != tc.count || per != tc.per {
					t.Fatalf("delta %d, %v; want %d, %v", count, per, tc.count, tc.per)
				}
			}
			if said := out.String(); (tc.said == "") != (said == "") || !strings.Contains(said, tc.said) || strings.Count(said, "\n") > 1 {
				t.Errorf("said %q, want once %q", said, tc.said)
			}
		})
	}
}
