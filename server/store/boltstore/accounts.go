package boltstore

import (
	"context"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// putAccount writes a new account with its balance and owner index.
func putAccount(tx *bolt.Tx, a store.Account) error {
	bal := a.Balance
	a.Balance = 0 // the balances bucket is the truth
	if err := putJSON(tx.Bucket(bktAccounts), []byte(a.ID), a); err != nil {
		return err
	}
	if err := putBalance(tx, a.ID, bal); err != nil {
		return err
	}
	if a.OwnerID != "" {
		return abort(tx.Bucket(bktAccountByOwner).Put(pair(a.OwnerID, a.ID), nil))
	}
	return nil
}

// ensureSystemAccount creates the currency's system account on first use.
func ensureSystemAccount(tx *bolt.Tx, currency string, at time.Time) error {
	if tx.Bucket(bktAccounts).Get([]byte(store.SystemAccountID(currency))) != nil {
		return nil
	}
	return putAccount(tx, ledger.SystemAccount(currency, at))
}

func (s *engine) CreateAccount(ctx context.Context, a store.Account, opening int64, at time.Time) (store.Account, error) {
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktUsers).Get([]byte(a.OwnerID)) == nil {
			return fmt.Errorf("%w: user %q", store.ErrNotFound, a.OwnerID)
		}
		if tx.Bucket(bktAccounts).Get([]byte(a.ID)) != nil {
			return fmt.Errorf("%w: account %s", store.ErrExists, a.ID)
		}
		if err := putAccount(tx, a); err != nil {
			return err
		}
		e := ledger.OpeningEntry(a, opening, at)
		if e == nil {
			return nil
		}
		if err := ensureSystemAccount(tx, a.Currency, at); err != nil {
			return err
		}
		return ltx{tx: tx}.AppendEntry(e)
	})
	if err != nil {
		return store.Account{}, err
	}
	a.Balance = opening
	return a, nil
}

func readAccount(tx *bolt.Tx, id string) (store.Account, error) {
	var a store.Account
	if err := getJSON(tx.Bucket(bktAccounts), []byte(id), "account "+id, &a); err != nil {
		return a, err
	}
	bal, err := getBalance(tx, id)
	a.Balance = bal
	return a, err
}

func (s *engine) GetAccount(ctx context.Context, id string) (store.Account, error) {
	var a store.Account
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		a, err = readAccount(tx, id)
		return err
	})
	return a, err
}

func (s *engine) ListAccounts(ctx context.Context, f store.AccountFilter) ([]store.Account, error) {
	n := f.Limit
	var out []store.Account
	err := s.db.View(func(tx *bolt.Tx) error {
		add := func(id string) (bool, error) {
			a, err := readAccount(tx, id)
			if err != nil {
				return false, err
			}
			if f.Kind == "" || a.Kind == f.Kind {
				out = append(out, a)
			}
			return len(out) < n, nil
		}
		if f.OwnerID != "" {
			prefix := pair(f.OwnerID, "")
			c := tx.Bucket(bktAccountByOwner).Cursor()
			for k, _ := c.Seek(pair(f.OwnerID, f.AfterID)); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
				_, id := splitPair(k)
				if id == f.AfterID {
					continue
				}
				if more, err := add(id); err != nil || !more {
					return err
				}
			}
			return nil
		}
		c := tx.Bucket(bktAccounts).Cursor()
		for k, _ := c.Seek([]byte(f.AfterID)); k != nil; k, _ = c.Next() {
			if string(k) == f.AfterID {
				continue
			}
			if more, err := add(string(k)); err != nil || !more {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (s *engine) ListEntries(ctx context.Context, f store.EntryFilter) ([]store.Entry, error) {
	n := f.Limit
	var out []store.Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktEntries).Cursor()
		if f.AfterID == math.MaxUint64 {
			return nil
		}
		for k, v := c.Seek(u64(f.AfterID + 1)); k != nil && len(out) < n; k, v = c.Next() {
			e, err := decodeEntry(v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}
