package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/storetest"
	"github.com/stillpay/stillpay/shared/money"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}

// seed puts a merchant, terminal, user, funded account, authorization and one payment into s.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.CreateMerchant(ctx, store.Merchant{ID: "M1", Currency: "EUR"})
	must(err)
	_, err = s.CreateTerminal(ctx, store.Terminal{ID: "T1", MerchantID: "M1", EnrollCodeHash: []byte("code")})
	must(err)
	_, err = s.EnrollTerminal(ctx, store.Enrollment{CodeHash: []byte("code"), PublicKey: make([]byte, 32), At: at})
	must(err)
	_, err = s.CreateUser(ctx, store.User{ID: "U1", PasswordHash: "h"})
	must(err)
	_, err = s.CreateAccount(ctx, store.Account{ID: "A1", OwnerID: "U1", Currency: "EUR"}, 10_000, at)
	must(err)
	_, err = s.CreateAuthorization(ctx, store.Authorization{ID: "Z1", UserID: "U1", AccountID: "A1", Currency: "EUR",
		CapPerPayment: 1000, MaxCodes: 3, DevicePublicKey: make([]byte, 32), SealedSecret: []byte("s"), CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
	must(err)
	outs, err := s.ApplyPayments(ctx, []store.PaymentOp{{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "1"},
		RequestHash: []byte("h1"), Kind: store.OpPayment, Now: at, Amount: money.Amount{Minor: 250, Currency: "EUR"},
		AuthorizationID: "Z1", CodeCounter: 1}})
	must(err)
	if !outs[0].Approved() {
		t.Fatalf("seed payment: %+v", outs[0])
	}
}

// TestReopen: a store closed (or killed: bbolt commits are atomic) and opened again has everything it
// acknowledged, passes Check, and keeps numbering where it stopped.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyPayments(context.Background(), []store.PaymentOp{{}}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("ApplyPayments after Close: %v, want ErrClosed", err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rep, err := s.Check(ctx)
	if err != nil || rep.Txns != 1 || rep.Entries != 3 {
		t.Fatalf("Check after reopen = %+v, %v", rep, err)
	}
	a, err := s.GetAccount(ctx, "A1")
	if err != nil || a.Balance != 10_000-3000+1000-250 {
		t.Errorf("A1 after reopen = %+v, %v", a, err)
	}
	entries, err := s.ListEntries(ctx, store.EntryFilter{})
	if err != nil || len(entries) != 3 || entries[2].ID != 3 {
		t.Errorf("entries after reopen = %+v, %v", entries, err)
	}
}

// TestBackup: a backup taken while the store runs opens as a store that passes Check and has what
// was acknowledged before it.
func TestBackup(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed(t, s)
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.WriteBackup(context.Background(), f)
	if cerr := f.Close(); err != nil || cerr != nil || n == 0 {
		t.Fatalf("WriteBackup = %d, %v, %v", n, err, cerr)
	}
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, err := b.Check(context.Background())
	if err != nil || rep.Txns != 1 {
		t.Fatalf("Check of the backup = %+v, %v", rep, err)
	}
	if a, err := b.GetAccount(context.Background(), "A1"); err != nil || a.Balance != 10_000-3000+1000-250 {
		t.Errorf("A1 in the backup = %+v, %v", a, err)
	}
}

// TestOpenLocked: a second process (here: a second Open) cannot open a store in use.
func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := Open(dir, Options{}); err == nil {
		s2.Close()
		t.Fatal("second Open of a store in use succeeded")
	}
}

// TestCheckFindsCorruption writes inconsistent state behind the store's back; Check must say so.
func TestCheckFindsCorruption(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(tx *bolt.Tx) error
	}{
		{"balance changed", func(tx *bolt.Tx) error { return tx.Bucket(bktBalances).Put([]byte("A1"), u64(999_999)) }},
		{"negative balance", func(tx *bolt.Tx) error {
			neg := int64(-5)
			return tx.Bucket(bktBalances).Put([]byte("A1"), u64(uint64(neg)))
		}},
		{"used code removed", func(tx *bolt.Tx) error {
			a, _, err := getAuthorization(tx.Bucket(bktAuthData), "Z1")
			if err != nil {
				return err
			}
			return tx.Bucket(bktAuthData).Put(authKey("Z1"), encodeAuthorization(&a, nil))
		}},
		{"used code without a payment", func(tx *bolt.Tx) error {
			a, _, err := getAuthorization(tx.Bucket(bktAuthData), "Z1")
			if err != nil {
				return err
			}
			a.UsedCodes = 2
			return tx.Bucket(bktAuthData).Put(authKey("Z1"), encodeAuthorization(&a, []uint64{1, 2}))
		}},
		{"txn missing from its authorization's list", func(tx *bolt.Tx) error {
			e, err := getAuthEntry(tx.Bucket(bktAuthData), "Z1")
			if err != nil || e.txns.Len() == 0 {
				return fmt.Errorf("authorization Z1 lists no txns: %v", err)
			}
			e.txns = ascListOf(e.txns.Values()[1:])
			return tx.Bucket(bktAuthData).Put(authKey("Z1"), encodeAuthEntry(&e))
		}},
		{"txn listed twice", func(tx *bolt.Tx) error {
			e, err := getAuthEntry(tx.Bucket(bktAuthData), "Z1")
			if err != nil || e.txns.Len() == 0 {
				return fmt.Errorf("authorization Z1 lists no txns: %v", err)
			}
			return tx.Bucket(bktAuthData).Put(authTxnKey("Z1", e.txns.Values()[0]), indexMark)
		}},
		{"entry unbalanced", func(tx *bolt.Tx) error {
			e := store.Entry{ID: 1, Kind: store.EntryOpening, Currency: "EUR", Legs: []store.Leg{{AccountID: "A1", Delta: 10000}}}
			return tx.Bucket(bktEntries).Put(u64(1), encodeEntry(&e))
		}},
		{"garbage txn record", func(tx *bolt.Tx) error {
			return tx.Bucket(bktTxns).Put(txnKey(store.TxnKey{TerminalID: "T1", TerminalTxnID: "1"}), []byte{fmtTxn, 0xff})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			seed(t, s)
			if _, err := s.Check(context.Background()); err != nil {
				t.Fatalf("Check before corruption: %v", err)
			}
			if err := s.e.db.Update(tc.corrupt); err != nil {
				t.Fatal(err)
			}
			rep, err := s.Check(context.Background())
			if !errors.Is(err, store.ErrInconsistent) || rep.OK() {
				t.Errorf("Check after %s = %v, problems %q; want ErrInconsistent", tc.name, err, rep.Problems)
			}
		})
	}
}
