package boltstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Check verifies bbolt's own page consistency, then from one snapshot the ledger invariants
// (ledger.Checker: balances per currency sum to zero, entries balance, no negative non-system balance,
// balances equal their journal legs, holds equal what authorizations leave unreleased, used codes ≤
// MaxCodes, no request moved money twice) and that every index points at a record that points back.
func (s *engine) Check(ctx context.Context) (store.Report, error) {
	c := ledger.NewChecker()
	// bbolt's page check reads the freelist, which only the writer may touch: it runs as a write request
	// (writing nothing). The ledger checks read a snapshot beside the writer.
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			c.Problem("bbolt: %v", err)
		}
		return nil
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("boltstore: check: %w", err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if err := checkAccounts(tx, c); err != nil {
			return err
		}
		if err := tx.Bucket(bktEntries).ForEach(func(k, v []byte) error {
			e, err := decodeEntry(v)
			if err != nil {
				c.Problem("entry %d: %v", getU64(k), err)
				return nil
			}
			if e.ID != getU64(k) {
				c.Problem("entry stored under %d says id %d", getU64(k), e.ID)
			}
			c.Entry(e)
			return nil
		}); err != nil {
			return err
		}
		authTxns, err := checkAuthorizations(tx, c)
		if err != nil {
			return err
		}
		if err := checkTxns(tx, c, authTxns); err != nil {
			return err
		}
		if err := checkOrders(tx, c); err != nil {
			return err
		}
		return checkTerminals(tx, c)
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("boltstore: check: %w", err)
	}
	return c.Finish()
}

func checkAccounts(tx *bolt.Tx, c *ledger.Checker) error {
	owned := 0
	err := tx.Bucket(bktAccounts).ForEach(func(k, v []byte) error {
		a, err := readAccount(tx, string(k))
		if err != nil {
			c.Problem("account %s: %v", k, err)
			return nil
		}
		if a.OwnerID != "" {
			owned++
			if tx.Bucket(bktAccountByOwner).Get(pair(a.OwnerID, a.ID)) == nil {
				c.Problem("account %s missing from its owner index", a.ID)
			}
		}
		c.Account(a)
		return nil
	})
	if err != nil {
		return err
	}
	if n := tx.Bucket(bktAccountByOwner).Stats().KeyN; n != owned {
		c.Problem("owner index has %d keys for %d owned accounts", n, owned)
	}
	if n, m := tx.Bucket(bktBalances).Stats().KeyN, tx.Bucket(bktAccounts).Stats().KeyN; n != m {
		c.Problem("%d balances for %d accounts", n, m)
	}
	return nil
}

// checkAuthorizations feeds the authorizations and their used codes and checks their txn lists: every
// used code was used by an approved payment of the authorization, and every txn listed (in the record
// or as a key beside it) is one of its txns, listed once. It returns the seqs listed, for checkTxns.
func checkAuthorizations(tx *bolt.Tx, c *ledger.Checker) (map[uint64]bool, error) {
	open, auths := 0, 0
	listed := map[uint64]bool{}
	txns, bySeq := tx.Bucket(bktTxns), tx.Bucket(bktTxnBySeq)
	// The authorization being walked: its keys come in order, the record first.
	var curID string
	var unpaid map[uint64]bool
	finish := func() {
		for _, counter := range slices.Sorted(maps.Keys(unpaid)) {
			c.Problem("code %d of authorization %s is used but no approved payment used it", counter, curID)
		}
		curID, unpaid = "", nil
	}
	listedTxn := func(id string, seq uint64) {
		if listed[seq] {
			c.Problem("txn seq %d is listed twice", seq)
		}
		listed[seq] = true
		key := bySeq.Get(u64(seq))
		if key == nil {
			c.Problem("authorization %s lists a missing txn seq %d", id, seq)
			return
		}
		t, err := getTxn(txns, key)
		switch {
		case err != nil:
			c.Problem("authorization %s lists txn %q: %v", id, key, err)
		case t.AuthorizationID != id || t.Seq != seq:
			c.Problem("authorization %s lists txn %s of %s seq %d", id, t.Key, t.AuthorizationID, t.Seq)
		case id == curID && t.Kind == store.OpPayment && t.Status == store.StatusApproved && !t.Tombstone:
			if !unpaid[t.CodeCounter] {
				c.Problem("payment %s used code %d of authorization %s, which is not marked used (or twice)", t.Key, t.CodeCounter, id)
			}
			delete(unpaid, t.CodeCounter)
		}
	}
	err := tx.Bucket(bktAuthData).ForEach(func(k, v []byte) error {
		id, tag, rest, ok := splitAuthKey(k)
		if ok && id != curID {
			finish()
		}
		switch {
		case !ok:
			c.Problem("malformed authorization key %q", k)
		case tag == tagAuth:
			auths++
			curID = id
			e, err := decodeAuthEntry(v)
			if err != nil {
				c.Problem("authorization %s: %v", id, err)
				return nil
			}
			a := e.a
			if a.ID != id {
				c.Problem("authorization stored under %q says id %s", id, a.ID)
			}
			c.Authorization(a)
			unpaid = make(map[uint64]bool, e.used.Len())
			for _, counter := range e.used.Values() {
				c.UsedCode(store.UsedCode{AuthorizationID: id, Counter: counter})
				unpaid[counter] = true
			}
			if tx.Bucket(bktAuthByUser).Get(pair(a.UserID, a.ID)) == nil || tx.Bucket(bktAuthByAccount).Get(pair(a.AccountID, a.ID)) == nil {
				c.Problem("authorization %s missing from its indexes", a.ID)
			}
			if a.HoldClosedAt.IsZero() {
				open++
				if tx.Bucket(bktAuthOpen).Get(authOpenKey(a)) == nil {
					c.Problem("open authorization %s missing from the sweep index", a.ID)
				}
			}
			for _, seq := range e.txns.Values() {
				listedTxn(id, seq)
			}
		case tag == tagTxn && len(rest) == 8:
			listedTxn(id, getU64(rest))
		default:
			c.Problem("unknown authorization key %q", k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	finish()
	if tx.Bucket(bktAuthByUser).Stats().KeyN != auths || tx.Bucket(bktAuthByAccount).Stats().KeyN != auths {
		c.Problem("authorization indexes do not match %d authorizations", auths)
	}
	if m := tx.Bucket(bktAuthOpen).Stats().KeyN; m != open {
		c.Problem("sweep index has %d keys for %d open authorizations", m, open)
	}
	return listed, nil
}

func checkTxns(tx *bolt.Tx, c *ledger.Checker, authTxns map[uint64]bool) error {
	want := map[string]int{}
	withAuth := 0
	err := tx.Bucket(bktTxns).ForEach(func(k, v []byte) error {
		t, err := decodeTxn(v)
		if err != nil {
			c.Problem("txn %q: %v", k, err)
			return nil
		}
		c.Txn(t)
		if string(txnKey(t.Key)) != string(k) {
			c.Problem("txn stored under %q says key %s", k, t.Key)
		}
		if string(tx.Bucket(bktTxnBySeq).Get(u64(t.Seq))) != string(k) {
			c.Problem("txn %s missing from the sequence index", t.Key)
		}
		if t.AuthorizationID != "" {
			withAuth++
			if !authTxns[t.Seq] {
				c.Problem("txn %s missing from authorization %s's txn list", t.Key, t.AuthorizationID)
			}
		}
		for _, ix := range txnIndexes(&t) {
			want[string(ix.bucket)]++
			if tx.Bucket(ix.bucket).Get(ix.key) == nil {
				c.Problem("txn %s missing from index %s", t.Key, ix.bucket)
			}
		}
		if ix, ok := activityIndex(&t); ok {
			want[string(ix.bucket)]++
			if v := tx.Bucket(ix.bucket).Get(ix.key); string(v) != string(activityValue(&t)) {
				c.Problem("txn %s missing from the activity index or with another customer or amount", t.Key)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n, m := tx.Bucket(bktTxnBySeq).Stats().KeyN, tx.Bucket(bktTxns).Stats().KeyN; n != m {
		c.Problem("sequence index has %d keys for %d txns", n, m)
	}
	for _, b := range [][]byte{bktTxnByMerchant, bktTxnByUser, bktActivity} {
		if n := tx.Bucket(b).Stats().KeyN; n != want[string(b)] {
			c.Problem("index %s has %d keys, want %d", b, n, want[string(b)])
		}
	}
	if len(authTxns) != withAuth {
		c.Problem("authorizations list %d txns, want %d", len(authTxns), withAuth)
	}
	return nil
}

func checkTerminals(tx *bolt.Tx, c *ledger.Checker) error {
	err := tx.Bucket(bktTerminals).ForEach(func(k, v []byte) error {
		var t store.Terminal
		if err := getJSONRaw(v, "terminal", &t); err != nil {
			return err
		}
		if string(tx.Bucket(bktTerminalByCode).Get(t.EnrollCodeHash)) != t.ID {
			c.Problem("terminal %s missing from the enrollment code index", t.ID)
		}
		if tx.Bucket(bktTerminalByMer).Get(pair(t.MerchantID, t.ID)) == nil {
			c.Problem("terminal %s missing from the merchant index", t.ID)
		}
		if tx.Bucket(bktMerchants).Get([]byte(t.MerchantID)) == nil {
			c.Problem("terminal %s belongs to unknown merchant %s", t.ID, t.MerchantID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := tx.Bucket(bktTerminals).Stats().KeyN
	if tx.Bucket(bktTerminalByCode).Stats().KeyN != n || tx.Bucket(bktTerminalByMer).Stats().KeyN != n {
		c.Problem("terminal indexes do not match %d terminals", n)
	}
	return nil
}
