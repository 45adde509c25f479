package cli

import "testing"

func TestOrderLine(t *testing.T) {
	for _, tc := range []struct {
		line, last  string
		amount, ref string
		ok          bool
	}{
		{"o 12.50", "", "12.50", "", true},
		{"order 7.00 TABLE 4", "", "7.00", "TABLE 4", true},
		{"o", "820.00", "820.00", "", true},
		{"o", "", "", "", true},
		{"12.50", "820.00", "", "", false},
		{"off", "", "", "", false},
		{"", "", "", "", false},
	} {
		amount, ref, ok := orderLine(tc.line, tc.last)
		if amount != tc.amount || ref != tc.ref || ok != tc.ok {
			t.Errorf("orderLine(%q, %q) = %q %q %v, want %q %q %v", tc.line, tc.last, amount, ref, ok, tc.amount, tc.ref, tc.ok)
		}
	}
}
