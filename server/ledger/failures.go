package ledger

import (
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// failureMemory is how long failure times are kept for sliding windows; longer windows are the daily
// count's job.
const failureMemory = 24 * time.Hour

const dayLayout = "2006-01-02"

// AddFailure counts one failure at time at into f: it appends the time (dropping those older than a
// day, and the oldest beyond store.MaxFailureTimes) and bumps the count of at's UTC day.
func AddFailure(f *store.Failures, at time.Time) {
	at = Norm(at)
	PruneFailures(f, at)
	f.Times = append(f.Times, at)
	if n := len(f.Times) - store.MaxFailureTimes; n > 0 {
		f.Times = append(f.Times[:0], f.Times[n:]...)
	}
	day := at.Format(dayLayout)
	if f.Day != day {
		f.Day, f.DayCount = day, 0
	}
	f.DayCount++
}

// PruneFailures drops times older than a day before now.
func PruneFailures(f *store.Failures, now time.Time) {
	cut := 0
	for cut < len(f.Times) && f.Times[cut].Before(now.Add(-failureMemory)) {
		cut++
	}
	f.Times = append(f.Times[:0], f.Times[cut:]...)
}

// CountFailures returns f's failures at or after since and on now's UTC day.
func CountFailures(f store.Failures, since, now time.Time) store.FailureCount {
	var c store.FailureCount
	for _, t := range f.Times {
		if !t.Before(since) {
			c.InWindow++
		}
	}
	// Every payment counts its terminal's and its user's failures, most of which have none: the day
	// is only formatted to compare when there is a count to report.
	if f.DayCount != 0 && f.Day == Norm(now).Format(dayLayout) {
		c.Today = f.DayCount
	}
	return c
}
