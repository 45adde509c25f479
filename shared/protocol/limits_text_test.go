package protocol

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"}, {72 * time.Hour, "72h"}, {90 * time.Minute, "1h30m"}, {5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"}, {3 * time.Second, "3s"}, {0, "0s"}, {time.Hour + time.Second, "1h0m1s"},
	} {
		if got := HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestLimitsText(t *testing.T) {
	l := TerminalLimits{Currency: "EUR", FloorLimitMinor: 5000, OfflineMaxCount: 500, OfflineMaxMinor: 500000, OfflineMaxAgeSecs: 86400}
	if got, want := l.Text(), "50.00 EUR each, 500 / 5000.00 EUR pending, oldest 24h"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	l.Currency = "JPY"
	if got, want := l.Text(), "5000 JPY each, 500 / 500000 JPY pending, oldest 24h"; got != want {
		t.Errorf("Text() JPY = %q, want %q", got, want)
	}
}
