package boltstore

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/storetest"
	"github.com/stillpay/stillpay/shared/money"
)

// BenchmarkScreen screens the storetest screening world (default 100,000 accounts, 1,000,000
// payments; $SCREEN_ACCOUNTS, $SCREEN_TXNS) on bbolt. The world is loaded straight into the buckets
// screening reads — the opted-in users and one per-merchant activity index entry per approved payment,
// exactly what a payment adds (InsertTxn) — in large transactions; the ledger records themselves are
// left out, as screening never reads them. One op is one Screen call; audience/op says how many matched.
func BenchmarkScreen(b *testing.B) {
	accounts, txns := storetest.ScreenBenchSize(b, 100_000, 1_000_000)
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range storetest.ScreenBenchMerchants {
		id, mcc := storetest.ScreenBenchMerchant(i)
		if _, err := s.CreateMerchant(ctx, store.Merchant{ID: id, Name: id, Currency: "EUR", MCC: mcc, CreatedAt: storetest.ScreenBenchNow}); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	// Keys sorted and appended into full pages: random inserts would rewrite the tree at every chunk.
	type kv struct{ k, v []byte }
	rows := make([]kv, 0, accounts+txns)
	for i := range accounts {
		rows = append(rows, kv{[]byte(storetest.ScreenBenchUser(i)), nil})
	}
	nUsers := len(rows)
	for i := range txns {
		m, u, at, minor := storetest.ScreenBenchTxn(i, accounts)
		mid, _ := storetest.ScreenBenchMerchant(m)
		t := store.Txn{Outcome: store.Outcome{Kind: store.OpPayment, Status: store.StatusApproved, MerchantID: mid,
			UserID: storetest.ScreenBenchUser(u), ApprovedAt: at, Amount: money.Amount{Minor: minor, Currency: "EUR"}, Seq: uint64(i + 1)}}
		rows = append(rows, kv{activityKey(&t), activityValue(&t)})
	}
	byKey := func(a, b kv) int { return bytes.Compare(a.k, b.k) }
	slices.SortFunc(rows[:nUsers], byKey)
	slices.SortFunc(rows[nUsers:], byKey)
	const chunk = 250_000
	for from := 0; from < len(rows); from += chunk {
		err := s.e.db.Update(func(tx *bolt.Tx) error {
			for i := from; i < min(from+chunk, len(rows)); i++ {
				bkt := tx.Bucket(bktActivity)
				if i < nUsers {
					bkt = tx.Bucket(bktOfferOptIn)
				}
				bkt.FillPercent = appendFill
				if err := bkt.Put(rows[i].k, rows[i].v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d accounts and %d payments in %v", accounts, txns, time.Since(start).Round(time.Millisecond))
	q := store.ScreenQuery{MerchantID: "bm00", Set: storetest.ScreenBenchSet(), Now: storetest.ScreenBenchNow, CapCount: 3, CapWindow: 7 * 24 * time.Hour}
	storetest.ScreenBenchLoop(b, s, q, accounts, txns)
}
