package pgstore_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/server/store/storetest"
)

// BenchmarkScreen screens the storetest screening world (default 1,000,000 accounts and 10,000,000
// payments; $SCREEN_ACCOUNTS, $SCREEN_TXNS) on PostgreSQL with the set-based query of Screen. The world
// is loaded with COPY into the real schema (users, offer settings, txns rows of approved payments with
// every index the migrations create), then VACUUM ANALYZEd (as autovacuum would). One op is one Screen call.
func BenchmarkScreen(b *testing.B) {
	accounts, txns := storetest.ScreenBenchSize(b, 1_000_000, 10_000_000)
	dsn := pgtest.DSN(b)
	ctx := b.Context()
	s, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range storetest.ScreenBenchMerchants {
		id, mcc := storetest.ScreenBenchMerchant(i)
		if _, err := s.CreateMerchant(ctx, store.Merchant{ID: id, Name: id, Currency: "EUR", MCC: mcc, CreatedAt: storetest.ScreenBenchNow}); err != nil {
			b.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	copyRows := func(table string, cols []string, n int, row func(i int) []any) {
		b.Helper()
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return row(i - 1), nil
		})
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
			b.Fatalf("copy %s: %v", table, err)
		}
	}
	created := storetest.ScreenBenchNow.Add(-365 * 24 * time.Hour)
	copyRows("users", []string{"id", "password_hash", "created_at"}, accounts, func(i int) []any {
		return []any{storetest.ScreenBenchUser(i), "x", created}
	})
	copyRows("offer_settings", []string{"user_id", "opted_in", "opt_outs"}, accounts, func(i int) []any {
		return []any{storetest.ScreenBenchUser(i), true, []string{}}
	})
	copyRows("txns", []string{"terminal_id", "terminal_txn_id", "seq", "kind", "status", "amount_minor", "currency", "merchant_id",
		"user_id", "approved_at", "settled_at"}, txns, func(i int) []any {
		m, u, at, minor := storetest.ScreenBenchTxn(i, accounts)
		mid, _ := storetest.ScreenBenchMerchant(m)
		return []any{"bt" + mid, fmt.Sprint(i), int64(i + 1), "payment", "approved", minor, "EUR", mid, storetest.ScreenBenchUser(u), at, at}
	})
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d accounts and %d payments in %v", accounts, txns, time.Since(start).Round(time.Millisecond))
	q := store.ScreenQuery{MerchantID: "bm00", Set: storetest.ScreenBenchSet(), Now: storetest.ScreenBenchNow, CapCount: 3, CapWindow: 7 * 24 * time.Hour}
	if os.Getenv("SCREEN_EXPLAIN") == "1" {
		sql, args := pgstore.ScreenSQL(q)
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Fatal(err)
			}
			b.Log(line)
		}
		rows.Close()
	}
	storetest.ScreenBenchLoop(b, s, q, accounts, txns)
}
