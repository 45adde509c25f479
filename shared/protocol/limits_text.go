package protocol

import (
	"fmt"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

// Text is the limits as a person reads them: "50.00 EUR each, 500 / 5000.00 EUR pending, oldest 72h".
func (l TerminalLimits) Text() string {
	amt := func(minor int64) string {
		a, err := money.New(minor, l.Currency)
		if err != nil {
			return fmt.Sprintf("%d minor units of %s", minor, l.Currency)
		}
		return a.String()
	}
	return fmt.Sprintf("%s each, %d / %s pending, oldest %s", amt(l.FloorLimitMinor), l.OfflineMaxCount, amt(l.OfflineMaxMinor),
		HumanDuration(time.Duration(l.OfflineMaxAgeSecs)*time.Second))
}

// HumanDuration is a Go duration without its zero tails: 24h, 1h30m, 5m, 1m30s.
func HumanDuration(d time.Duration) string {
	s := d.String()
	for _, tail := range []string{"m0s", "h0m"} {
		if len(s) > len(tail) && strings.HasSuffix(s, tail) {
			s = s[:len(s)-len(tail)+1]
		}
	}
	return s
}
