package ledger

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// memTx is ledger.Tx over maps: the whole state of a tiny store, for testing the rules alone.
type memTx struct {
	terminals map[string]store.Terminal
	merchants map[string]store.Merchant
	auths     map[string]store.Authorization
	accounts  map[string]store.Account
	txns      map[store.TxnKey]store.Txn
	used      map[string]store.UsedCode
	entries   []store.Entry
	failures  map[store.Subject]store.Failures
	seq       uint64
	redeemed  map[string]store.Redemption
}

func newMemTx() *memTx {
	return &memTx{terminals: map[string]store.Terminal{}, merchants: map[string]store.Merchant{},
		auths: map[string]store.Authorization{}, accounts: map[string]store.Account{}, txns: map[store.TxnKey]store.Txn{},
		used: map[string]store.UsedCode{}, failures: map[store.Subject]store.Failures{}}
}

func notFound(what string) error { return fmt.Errorf("%w: %s", store.ErrNotFound, what) }

func (m *memTx) Failures(s store.Subject) (store.Failures, error) {
	f := m.failures[s]
	f.Subject = s
	return f, nil
}

func (m *memTx) Terminal(id string) (store.Terminal, error) {
	if v, ok := m.terminals[id]; ok {
		return v, nil
	}
	return store.Terminal{}, notFound("terminal " + id)
}

func (m *memTx) Merchant(id string) (store.Merchant, error) {
	if v, ok := m.merchants[id]; ok {
		return v, nil
	}
	return store.Merchant{}, notFound("merchant " + id)
}

func (m *memTx) Authorization(id string) (store.Authorization, error) {
	if v, ok := m.auths[id]; ok {
		return v, nil
	}
	return store.Authorization{}, notFound("authorization " + id)
}

func (m *memTx) PutAuthorization(a store.Authorization) error { m.auths[a.ID] = a; return nil }

func (m *memTx) Balance(id string) (int64, error) {
	if v, ok := m.accounts[id]; ok {
		return v.Balance, nil
	}
	return 0, notFound("account " + id)
}

func (m *memTx) Txn(k store.TxnKey) (store.Txn, error) {
	if v, ok := m.txns[k]; ok {
		return v, nil
	}
	return store.Txn{}, notFound("txn " + k.String())
}

func (m *memTx) InsertTxn(t *store.Txn) error {
	if _, ok := m.txns[t.Key]; ok {
		return fmt.Errorf("txn %s inserted twice", t.Key)
	}
	m.seq++
	t.Seq = m.seq
	m.txns[t.Key] = *t
	return nil
}

func (m *memTx) UpdateTxn(t store.Txn) error {
	if _, ok := m.txns[t.Key]; !ok {
		return fmt.Errorf("txn %s updated before insert", t.Key)
	}
	m.txns[t.Key] = t
	return nil
}

func usedKey(auth string, c uint64) string { return fmt.Sprintf("%s/%d", auth, c) }

func (m *memTx) CodeUsed(auth string, c uint64) (bool, error) {
	_, ok := m.used[usedKey(auth, c)]
	return ok, nil
}

func (m *memTx) PutUsedCode(u store.UsedCode) error {
	m.used[usedKey(u.AuthorizationID, u.Counter)] = u
	return nil
}

func (m *memTx) OfferRedeemed(id string) (bool, error) {
	_, ok := m.redeemed[id]
	return ok, nil
}

func (m *memTx) PutRedemption(r store.Redemption) error {
	if m.redeemed == nil {
		m.redeemed = map[string]store.Redemption{}
	}
	m.redeemed[r.TokenID] = r
	return nil
}

func (m *memTx) AppendEntry(e *store.Entry) error {
	e.ID = uint64(len(m.entries) + 1)
	for _, l := range e.Legs {
		a, ok := m.accounts[l.AccountID]
		if !ok {
			return notFound("account " + l.AccountID)
		}
		a.Balance += l.Delta
		m.accounts[l.AccountID] = a
	}
	m.entries = append(m.entries, *e)
	return nil
}

func (m *memTx) RecordFailure(s store.Subject, at time.Time) error {
	f := m.failures[s]
	f.Subject = s
	AddFailure(&f, at)
	m.failures[s] = f
	return nil
}

// check feeds everything to a Checker.
func (m *memTx) check() (store.Report, error) {
	c := NewChecker()
	for _, id := range slices.Sorted(maps.Keys(m.accounts)) {
		c.Account(m.accounts[id])
	}
	for _, e := range m.entries {
		c.Entry(e)
	}
	for _, a := range m.auths {
		c.Authorization(a)
	}
	for _, u := range m.used {
		c.UsedCode(u)
	}
	for _, t := range m.txns {
		c.Txn(t)
	}
	return c.Finish()
}

// addAccount creates an account funded from the system account by an opening entry.
func (m *memTx) addAccount(a store.Account, opening int64) {
	sys := store.SystemAccountID(a.Currency)
	if _, ok := m.accounts[sys]; !ok {
		m.accounts[sys] = store.Account{ID: sys, Kind: store.AccountSystem, Currency: a.Currency}
	}
	m.accounts[a.ID] = a
	if opening > 0 {
		m.AppendEntry(&store.Entry{Kind: store.EntryOpening, Currency: a.Currency,
			Legs: []store.Leg{{AccountID: sys, Delta: -opening}, {AccountID: a.ID, Delta: opening}}})
	}
}

// addAuthorization places a hold the way a store does.
func (m *memTx) addAuthorization(a store.Authorization) error {
	a, err := PrepareAuthorization(a)
	if err != nil {
		return err
	}
	acct := m.accounts[a.AccountID]
	if err := CheckFunding(a, acct); err != nil {
		return err
	}
	m.accounts[a.HoldAccountID] = store.Account{ID: a.HoldAccountID, Kind: store.AccountHold, Currency: a.Currency, OwnerID: a.ID}
	m.auths[a.ID] = a
	return m.AppendEntry(HoldEntry(a))
}
