package ledger

import "time"

// Norm is how every store keeps a time: UTC at microsecond precision (PostgreSQL's), no monotonic
// reading. Normalising before storing makes a fresh answer equal to its replay.
func Norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}
