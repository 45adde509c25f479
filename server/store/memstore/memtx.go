package memstore

import (
	"bytes"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// memTx is ledger.Tx over the store's maps; the caller holds the lock. It never fails.
type memTx struct{ s *engine }

var _ ledger.Tx = memTx{}

func (m memTx) Terminal(id string) (store.Terminal, error) {
	t, ok := m.s.terminals[id]
	if !ok {
		return store.Terminal{}, notFound("terminal %s", id)
	}
	return t, nil
}

func (m memTx) Merchant(id string) (store.Merchant, error) {
	v, ok := m.s.merchants[id]
	if !ok {
		return store.Merchant{}, notFound("merchant %s", id)
	}
	return v, nil
}

func (m memTx) Authorization(id string) (store.Authorization, error) {
	a, ok := m.s.auths[id]
	if !ok {
		return store.Authorization{}, notFound("authorization %s", id)
	}
	return a, nil
}

func (m memTx) PutAuthorization(a store.Authorization) error {
	m.s.auths[a.ID] = a
	return nil
}

func (m memTx) Balance(id string) (int64, error) {
	a, ok := m.s.accounts[id]
	if !ok {
		return 0, notFound("account %s", id)
	}
	return a.Balance, nil
}

func (m memTx) Txn(k store.TxnKey) (store.Txn, error) {
	t, ok := m.s.txns[k]
	if !ok {
		return store.Txn{}, notFound("txn %s", k)
	}
	return cloneTxn(t), nil
}

func (m memTx) InsertTxn(t *store.Txn) error {
	if t.Seq == 0 {
		t.Seq = uint64(len(m.s.bySeq) + 1)
	}
	for uint64(len(m.s.bySeq)) < t.Seq {
		m.s.bySeq = append(m.s.bySeq, store.TxnKey{})
	}
	m.s.bySeq[t.Seq-1] = t.Key
	m.s.txns[t.Key] = cloneTxn(*t)
	return nil
}

func (m memTx) UpdateTxn(t store.Txn) error {
	m.s.txns[t.Key] = cloneTxn(t)
	return nil
}

func (m memTx) CodeUsed(auth string, counter uint64) (bool, error) {
	_, ok := m.s.used[usedKey{auth, counter}]
	return ok, nil
}

func (m memTx) PutUsedCode(u store.UsedCode) error {
	m.s.used[usedKey{u.AuthorizationID, u.Counter}] = u
	return nil
}

func (m memTx) AppendEntry(e *store.Entry) error {
	m.s.appendEntry(e)
	return nil
}

func (m memTx) RecordFailure(sub store.Subject, at time.Time) error {
	f := m.s.failures[sub]
	f.Subject = sub
	f.Times = slices.Clone(f.Times)
	ledger.AddFailure(&f, at)
	m.s.failures[sub] = f
	return nil
}

func (m memTx) Failures(sub store.Subject) (store.Failures, error) {
	f := m.s.failures[sub]
	f.Subject = sub
	f.Times = slices.Clone(f.Times)
	return f, nil
}

// Clones keep callers from sharing slices with the store.

func cloneMerchant(m store.Merchant) store.Merchant {
	m.ReceiptHeader = slices.Clone(m.ReceiptHeader)
	return m
}

func cloneTerminal(t store.Terminal) store.Terminal {
	t.EnrollCodeHash, t.PublicKey = bytes.Clone(t.EnrollCodeHash), bytes.Clone(t.PublicKey)
	return t
}

func cloneAuthorization(a store.Authorization) store.Authorization {
	a.DevicePublicKey, a.SealedSecret, a.Credential = bytes.Clone(a.DevicePublicKey), bytes.Clone(a.SealedSecret), bytes.Clone(a.Credential)
	return a
}

func cloneEntry(e store.Entry) store.Entry {
	e.Legs = slices.Clone(e.Legs)
	return e
}

func cloneTxn(t store.Txn) store.Txn {
	t.RequestHash = bytes.Clone(t.RequestHash)
	t.Replayed, t.Err = false, nil
	return t
}
