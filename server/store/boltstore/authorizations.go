package boltstore

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func authOpenKey(a store.Authorization) []byte {
	k := timeKey(ledger.ClosesAt(a))
	return append(k, a.ID...)
}

func (s *engine) CreateAuthorization(ctx context.Context, a store.Authorization) (store.Authorization, error) {
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktAuthData).Get(authKey(a.ID)) != nil {
			return fmt.Errorf("%w: authorization %s", store.ErrExists, a.ID)
		}
		if tx.Bucket(bktAccounts).Get([]byte(a.HoldAccountID)) != nil {
			return fmt.Errorf("%w: account %s", store.ErrExists, a.HoldAccountID)
		}
		acct, err := readAccount(tx, a.AccountID)
		if err != nil {
			return err
		}
		if err := ledger.CheckFunding(a, acct); err != nil {
			return err
		}
		return putNewAuthorization(tx, a, 0, ledger.HoldEntry(a))
	})
	if err != nil {
		return store.Authorization{}, err
	}
	return a, nil
}

// putNewAuthorization writes an authorization, its hold account, indexes and (when not nil) the entry
// funding the hold.
func putNewAuthorization(tx *bolt.Tx, a store.Authorization, holdBalance int64, e *store.Entry) error {
	if err := putAccount(tx, store.Account{ID: a.HoldAccountID, Kind: store.AccountHold, Currency: a.Currency,
		OwnerID: a.ID, Balance: holdBalance, CreatedAt: a.CreatedAt}); err != nil {
		return err
	}
	if e != nil {
		if err := (ltx{tx: tx}).AppendEntry(e); err != nil {
			return err
		}
	}
	return putAuthorizationRecord(tx, a)
}

// putAuthorizationRecord writes an authorization and its indexes.
func putAuthorizationRecord(tx *bolt.Tx, a store.Authorization) error {
	if err := abort(tx.Bucket(bktAuthData).Put(authKey(a.ID), encodeAuthorization(&a, nil))); err != nil {
		return err
	}
	if err := abort(tx.Bucket(bktAuthByUser).Put(pair(a.UserID, a.ID), nil)); err != nil {
		return err
	}
	if err := abort(tx.Bucket(bktAuthByAccount).Put(pair(a.AccountID, a.ID), nil)); err != nil {
		return err
	}
	if a.HoldClosedAt.IsZero() {
		return abort(tx.Bucket(bktAuthOpen).Put(authOpenKey(a), nil))
	}
	return nil
}

func (s *engine) GetAuthorization(ctx context.Context, id string) (store.Authorization, error) {
	var a store.Authorization
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		a, err = ltx{tx: tx}.Authorization(id)
		return err
	})
	return a, err
}

func (s *engine) GetAuthorizations(ctx context.Context, ids []string) (map[string]store.Authorization, error) {
	if len(ids) > store.MaxOpsPerCall {
		return nil, fmt.Errorf("%w: %d ids, at most %d", store.ErrTooManyOps, len(ids), store.MaxOpsPerCall)
	}
	out := make(map[string]store.Authorization, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktAuthData)
		for _, id := range ids {
			raw := b.Get(authKey(id))
			if raw == nil {
				continue
			}
			a, err := authOnly(raw)
			if err != nil {
				return err
			}
			out[id] = a
		}
		return nil
	})
	return out, err
}

func (s *engine) ListAuthorizations(ctx context.Context, f store.AuthorizationFilter) ([]store.Authorization, error) {
	var index []byte
	var owner string
	switch {
	case f.UserID != "" && f.AccountID != "":
		return nil, fmt.Errorf("%w: filter by user or by account, not both", store.ErrInvalidArgument)
	case f.UserID != "":
		index, owner = bktAuthByUser, f.UserID
	case f.AccountID != "":
		index, owner = bktAuthByAccount, f.AccountID
	default:
		return s.listAllAuthorizations(f.Page)
	}
	n := f.Limit
	var out []store.Authorization
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := pair(owner, "")
		c := tx.Bucket(index).Cursor()
		for k, _ := c.Seek(pair(owner, f.AfterID)); k != nil && hasPrefix(k, prefix) && len(out) < n; k, _ = c.Next() {
			_, id := splitPair(k)
			if id == f.AfterID {
				continue
			}
			a, err := ltx{tx: tx}.Authorization(id)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func (s *engine) RevokeAuthorization(ctx context.Context, id string, at time.Time) (store.Authorization, error) {
	var a store.Authorization
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) (err error) {
		a, err = ltx{tx: tx}.Authorization(id)
		if err != nil || !a.RevokedAt.IsZero() {
			return err
		}
		oldKey := authOpenKey(a)
		a.RevokedAt = at
		if a.HoldClosedAt.IsZero() {
			// The hold now closes at the revocation, if that is earlier than the expiry.
			if err := abort(tx.Bucket(bktAuthOpen).Delete(oldKey)); err != nil {
				return err
			}
			if err := abort(tx.Bucket(bktAuthOpen).Put(authOpenKey(a), nil)); err != nil {
				return err
			}
		}
		return ltx{tx: tx}.PutAuthorization(a)
	})
	if err != nil {
		return store.Authorization{}, err
	}
	return a, nil
}

// listAllAuthorizations pages through bktAuthData by id, jumping from one authorization's record to
// the next id (its codes and txns sit between).
func (s *engine) listAllAuthorizations(p store.Page) ([]store.Authorization, error) {
	n := p.Limit
	var out []store.Authorization
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktAuthData).Cursor()
		start := []byte{}
		if p.AfterID != "" {
			start = append([]byte(p.AfterID), sep+1) // past every key of AfterID
		}
		for k, v := c.Seek(start); k != nil && len(out) < n; {
			id, tag, _, ok := splitAuthKey(k)
			if !ok || tag != tagAuth {
				return fmt.Errorf("boltstore: authorization data out of order at %q", k)
			}
			a, err := authOnly(v)
			if err != nil {
				return err
			}
			out = append(out, a)
			k, v = c.Seek(append([]byte(id), sep+1))
		}
		return nil
	})
	return out, err
}
