package ledger

import "testing"

func TestTerminalOf(t *testing.T) {
	for id, want := range map[string]string{
		"T-DEMO-01-000000042": "T-DEMO-01",
		"T1-000000001":        "T1",
		"-000000001":          "",
		"T-1-00000004":        "",
		"T-1-00000004x":       "",
		"x5":                  "",
		"T-1_000000042":       "",
	} {
		if got := TerminalOf(id); got != want {
			t.Errorf("TerminalOf(%q) = %q, want %q", id, got, want)
		}
	}
}
