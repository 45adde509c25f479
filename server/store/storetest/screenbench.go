package storetest

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
)

// The screening benchmark's world, the same for every store (docs/benchmarks.md, "Screening"):
// ScreenBenchMerchants merchants, the first ScreenBenchSameMCC of them in MCC 5812, the others in
// 5411; accounts customers, all opted in to offers; txns approved payments spread over the 90 days
// before ScreenBenchNow by a fixed formula (no randomness, so every store holds the same data).
const (
	ScreenBenchMerchants = 20
	ScreenBenchSameMCC   = 5
	ScreenBenchDays      = 90
)

// ScreenBenchNow is the benchmark's screening clock.
var ScreenBenchNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// ScreenBenchSize reads the world's size from $SCREEN_ACCOUNTS and $SCREEN_TXNS, or the defaults.
func ScreenBenchSize(tb testing.TB, accounts, txns int) (int, int) {
	tb.Helper()
	for _, v := range []struct {
		name string
		n    *int
	}{{"SCREEN_ACCOUNTS", &accounts}, {"SCREEN_TXNS", &txns}} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				tb.Fatalf("$%s=%q: a positive number", v.name, s)
			}
			*v.n = n
		}
	}
	return accounts, txns
}

// ScreenBenchMerchant is merchant i's id and MCC.
func ScreenBenchMerchant(i int) (id, mcc string) {
	mcc = "5411"
	if i < ScreenBenchSameMCC {
		mcc = "5812"
	}
	return fmt.Sprintf("bm%02d", i), mcc
}

// ScreenBenchUser is customer i's id.
func ScreenBenchUser(i int) string { return fmt.Sprintf("bu%07d", i) }

// ScreenBenchTxn is payment i (0-based) of a world of accounts customers: merchant index, customer
// index, time and amount, spread evenly over the merchants.
func ScreenBenchTxn(i, accounts int) (merchant, user int, at time.Time, minor int64) {
	h := uint64(i)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	h ^= h >> 29
	merchant = int(h % ScreenBenchMerchants)
	user = int((h >> 8) % uint64(accounts))
	secs := int64((h >> 20) % uint64(ScreenBenchDays*24*3600))
	return merchant, user, ScreenBenchNow.Add(-time.Duration(secs) * time.Second), 100 + int64(h>>40)%5000
}

// ScreenBenchSet is the campaign screened: regulars (≥ 2 visits in 30 days and ≥ 20.00 spent in 90),
// or lapsed customers (last visit 30–90 days ago) who still eat out nearby (MCC 5812 in 14 days), or
// newcomers who eat out (first time, MCC 5812 in 30 days).
func ScreenBenchSet() screen.Set {
	n := func(v int64) *int64 { return &v }
	return screen.Set{Groups: []screen.Group{
		{{Type: screen.Visits, Days: 30, Min: n(2)}, {Type: screen.Spend, Days: 90, Min: n(2000)}},
		{{Type: screen.DaysSinceLastVisit, Min: n(30), Max: n(90)}, {Type: screen.MCC, MCC: "5812", Days: 14}},
		{{Type: screen.FirstTime}, {Type: screen.MCC, MCC: "5812", Days: 30}},
	}}
}

// ScreenBenchLoop times Screen over the loaded world, the same loop for every store, and reports the
// audience and the world's size.
func ScreenBenchLoop(b *testing.B, s store.Store, q store.ScreenQuery, accounts, txns int) {
	b.Helper()
	ctx := b.Context()
	b.ResetTimer()
	var n int
	for b.Loop() {
		users, err := s.Screen(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		n = len(users)
	}
	b.ReportMetric(float64(n), "audience/op")
	b.ReportMetric(float64(accounts), "accounts")
	b.ReportMetric(float64(txns), "txns")
}
