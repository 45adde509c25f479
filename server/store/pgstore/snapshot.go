package pgstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// snapshot is ledger.Tx over rows read in bulk inside one SERIALIZABLE transaction. ledger.Apply decides
// each op against it in order, so a later op sees what an earlier one changed; the changes pile up
// here and are written back in a few multi-row statements (flush). A lookup of a row that the bulk read
// did not cover falls back to a query of its own, so the snapshot is always right, only sometimes
// slower.
//
// New journal entries and txns get provisional ids (1, 2, ...) while ops are decided; assignIDs swaps
// in real ones from the sequences before the flush.
type snapshot struct {
	ctx context.Context
	tx  batchSender

	// What the database holds (as changed so far). A nil value means "known not to exist".
	terminals map[string]*store.Terminal
	merchants map[string]*store.Merchant
	auths     map[string]*store.Authorization
	balances  map[string]*int64
	txns      map[store.TxnKey]*store.Txn
	used      map[usedKey]bool
	failures  map[store.Subject]*store.Failures

	// What to write back. Slices keep the order of first change, so statements are deterministic.
	dirtyAuths    []string
	dirtyAuthSet  map[string]bool
	dirtyBalances []string
	dirtyBalSet   map[string]bool
	newTxns       []*store.Txn
	newTxnSet     map[store.TxnKey]*store.Txn
	updatedTxns   []store.TxnKey
	updatedTxnSet map[store.TxnKey]bool
	newUsed       []store.UsedCode
	entries       []*store.Entry
	dirtyFail     []store.Subject
	dirtyFailSet  map[store.Subject]bool
	nonces        []store.Nonce
	redeemed      map[string]bool    // redemptions.go: offer token id → redeemed
	newRedemption []store.Redemption // redemptions.go

	// preload, when set, queues extra reads into the next load's batch (the group's nonce check).
	preload func(b *pgx.Batch)
}

type usedKey struct {
	auth    string
	counter uint64
}

var _ ledger.Tx = (*snapshot)(nil)

// batchSender runs a batch of statements in one round trip: a transaction, or the writer's connection
// (whose batches carry BEGIN and COMMIT themselves).
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

func newSnapshot(ctx context.Context, tx batchSender) *snapshot {
	return &snapshot{ctx: ctx, tx: tx,
		terminals: map[string]*store.Terminal{}, merchants: map[string]*store.Merchant{},
		auths: map[string]*store.Authorization{}, balances: map[string]*int64{},
		txns: map[store.TxnKey]*store.Txn{}, used: map[usedKey]bool{}, failures: map[store.Subject]*store.Failures{},
		dirtyAuthSet: map[string]bool{}, dirtyBalSet: map[string]bool{}, newTxnSet: map[store.TxnKey]*store.Txn{},
		updatedTxnSet: map[store.TxnKey]bool{}, dirtyFailSet: map[store.Subject]bool{},
	}
}

// ensure loads whatever of keys the snapshot does not know yet (the fallback for unexpected lookups).
func (s *snapshot) ensure(k keySet) error {
	return s.load(k, false)
}

func (s *snapshot) Terminal(id string) (store.Terminal, error) {
	if _, ok := s.terminals[id]; !ok {
		if err := s.ensure(keySet{terminals: []string{id}}); err != nil {
			return store.Terminal{}, err
		}
	}
	if t := s.terminals[id]; t != nil {
		return *t, nil
	}
	return store.Terminal{}, fmt.Errorf("%w: terminal %s", store.ErrNotFound, id)
}

func (s *snapshot) Merchant(id string) (store.Merchant, error) {
	if _, ok := s.merchants[id]; !ok {
		if err := s.ensure(keySet{merchants: []string{id}}); err != nil {
			return store.Merchant{}, err
		}
	}
	if m := s.merchants[id]; m != nil {
		return *m, nil
	}
	return store.Merchant{}, fmt.Errorf("%w: merchant %s", store.ErrNotFound, id)
}

func (s *snapshot) Authorization(id string) (store.Authorization, error) {
	if _, ok := s.auths[id]; !ok {
		if err := s.ensure(keySet{auths: []string{id}}); err != nil {
			return store.Authorization{}, err
		}
	}
	if a := s.auths[id]; a != nil {
		return *a, nil
	}
	return store.Authorization{}, fmt.Errorf("%w: authorization %s", store.ErrNotFound, id)
}

func (s *snapshot) PutAuthorization(a store.Authorization) error {
	if s.auths[a.ID] == nil {
		return fmt.Errorf("pgstore: update of authorization %s that was not read", a.ID)
	}
	s.auths[a.ID] = &a
	if !s.dirtyAuthSet[a.ID] {
		s.dirtyAuthSet[a.ID] = true
		s.dirtyAuths = append(s.dirtyAuths, a.ID)
	}
	return nil
}

func (s *snapshot) Balance(id string) (int64, error) {
	if _, ok := s.balances[id]; !ok {
		if err := s.ensure(keySet{accounts: []string{id}}); err != nil {
			return 0, err
		}
	}
	if b := s.balances[id]; b != nil {
		return *b, nil
	}
	return 0, fmt.Errorf("%w: account %s", store.ErrNotFound, id)
}

func (s *snapshot) Txn(k store.TxnKey) (store.Txn, error) {
	if _, ok := s.txns[k]; !ok {
		if err := s.ensure(keySet{txns: []store.TxnKey{k}}); err != nil {
			return store.Txn{}, err
		}
	}
	if t := s.txns[k]; t != nil {
		return *t, nil
	}
	return store.Txn{}, fmt.Errorf("%w: txn %s", store.ErrNotFound, k)
}

func (s *snapshot) InsertTxn(t *store.Txn) error {
	if s.txns[t.Key] != nil {
		return fmt.Errorf("%w: txn %s", store.ErrExists, t.Key)
	}
	if t.Seq == 0 {
		t.Seq = uint64(len(s.newTxns) + 1) // provisional; see assignIDs
	}
	rec := *t
	s.txns[t.Key] = &rec
	s.newTxns = append(s.newTxns, &rec)
	s.newTxnSet[t.Key] = &rec
	return nil
}

func (s *snapshot) UpdateTxn(t store.Txn) error {
	if rec := s.newTxnSet[t.Key]; rec != nil {
		*rec = t // written by this group: the insert carries the new state
		return nil
	}
	if s.txns[t.Key] == nil {
		return fmt.Errorf("pgstore: update of txn %s that was not read", t.Key)
	}
	s.txns[t.Key] = &t
	if !s.updatedTxnSet[t.Key] {
		s.updatedTxnSet[t.Key] = true
		s.updatedTxns = append(s.updatedTxns, t.Key)
	}
	return nil
}

func (s *snapshot) CodeUsed(authID string, counter uint64) (bool, error) {
	k := usedKey{authID, counter}
	if _, ok := s.used[k]; !ok {
		if err := s.ensure(keySet{used: []usedKey{k}}); err != nil {
			return false, err
		}
	}
	return s.used[k], nil
}

func (s *snapshot) PutUsedCode(u store.UsedCode) error {
	k := usedKey{u.AuthorizationID, u.Counter}
	if s.used[k] {
		return fmt.Errorf("%w: code %d of authorization %s", store.ErrExists, u.Counter, u.AuthorizationID)
	}
	s.used[k] = true
	u.At = ledger.Norm(u.At)
	s.newUsed = append(s.newUsed, u)
	return nil
}

func (s *snapshot) AppendEntry(e *store.Entry) error {
	for _, l := range e.Legs {
		if _, err := s.Balance(l.AccountID); err != nil {
			return err
		}
	}
	if e.ID == 0 {
		e.ID = uint64(len(s.entries) + 1) // provisional; see assignIDs
	}
	e.At = ledger.Norm(e.At)
	for _, l := range e.Legs {
		*s.balances[l.AccountID] += l.Delta
		if !s.dirtyBalSet[l.AccountID] {
			s.dirtyBalSet[l.AccountID] = true
			s.dirtyBalances = append(s.dirtyBalances, l.AccountID)
		}
	}
	rec := *e
	rec.Legs = slices.Clone(e.Legs)
	s.entries = append(s.entries, &rec)
	return nil
}

func (s *snapshot) RecordFailure(sub store.Subject, at time.Time) error {
	if _, ok := s.failures[sub]; !ok {
		if err := s.ensure(keySet{subjects: []store.Subject{sub}}); err != nil {
			return err
		}
	}
	f := s.failures[sub]
	if f == nil {
		f = &store.Failures{Subject: sub}
		s.failures[sub] = f
	}
	ledger.AddFailure(f, at)
	if !s.dirtyFailSet[sub] {
		s.dirtyFailSet[sub] = true
		s.dirtyFail = append(s.dirtyFail, sub)
	}
	return nil
}

func (s *snapshot) Failures(sub store.Subject) (store.Failures, error) {
	if _, ok := s.failures[sub]; !ok {
		if err := s.ensure(keySet{subjects: []store.Subject{sub}}); err != nil {
			return store.Failures{}, err
		}
	}
	f := s.failures[sub]
	if f == nil {
		return store.Failures{Subject: sub}, nil
	}
	out := *f
	out.Times = slices.Clone(f.Times)
	return out, nil
}

// assignIDs replaces the provisional entry ids and txn sequence numbers with numbers from the database
// sequences (one round trip for both), and returns the final record of each new txn by key, to patch
// the outcomes already handed out.
func (s *snapshot) assignIDs() error {
	if len(s.entries) == 0 && len(s.newTxns) == 0 {
		return nil
	}
	var entryIDs, seqs []int64
	b := &pgx.Batch{}
	if n := len(s.entries); n > 0 {
		b.Queue(`SELECT nextval('entry_ids') FROM generate_series(1, $1::int)`, n).Query(func(rows pgx.Rows) (err error) {
			entryIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
	}
	if n := len(s.newTxns); n > 0 {
		b.Queue(`SELECT nextval('txn_seqs') FROM generate_series(1, $1::int)`, n).Query(func(rows pgx.Rows) (err error) {
			seqs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
	}
	if err := s.tx.SendBatch(s.ctx, b).Close(); err != nil {
		return err
	}
	if len(entryIDs) != len(s.entries) || len(seqs) != len(s.newTxns) {
		return fmt.Errorf("pgstore: sequences gave %d entry ids for %d entries, %d txn numbers for %d txns",
			len(entryIDs), len(s.entries), len(seqs), len(s.newTxns))
	}
	slices.Sort(entryIDs)
	slices.Sort(seqs)
	for i, e := range s.entries {
		e.ID = uint64(entryIDs[i])
	}
	for i, t := range s.newTxns {
		t.Seq = uint64(seqs[i])
		if t.EntryID != 0 {
			// A new txn's entry is always one of this group's: its id is provisional.
			t.EntryID = uint64(entryIDs[t.EntryID-1])
		}
	}
	return nil
}

// patch gives an outcome handed out during the group its final sequence number and entry id.
func (s *snapshot) patch(o *store.Outcome) {
	if o.Err != nil {
		return
	}
	if rec := s.newTxnSet[o.Key]; rec != nil {
		o.Seq, o.EntryID = rec.Seq, rec.EntryID
	}
}
