package boltstore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// ltx is ledger.Tx over a bbolt write transaction. Reads return plain errors; every write failure is an
// errAbort.
//
// With a cache (newCachedTx), the records the ops of a group of requests share (terminal, merchant,
// authorizations, balances) are decoded once and written back once, by flush, at the end of the
// group (writer.flush); without one every call goes straight to bbolt.
type ltx struct {
	tx *bolt.Tx
	c  *txCache
}

type txCache struct {
	decoded    *decodedCache
	terminals  map[string]store.Terminal
	merchants  map[string]store.Merchant
	auths      map[string]authEntry
	dirtyAuths map[string]bool
	balances   map[string]int64
	dirtyBals  map[string]bool
	// writes counts the changes made to the cache (runLedger).
	writes int
	// Cursors for the lookups of every payment (get).
	txnsCur, authCur, balCur, failCur *bolt.Cursor
	failures                          map[store.Subject]store.Failures
}

// get is b.Get through a cursor kept in *cur (made on first use): bbolt's Get makes a new cursor and
// grows its stack for every lookup, and those allocations were a tenth of the writer's CPU in
// batches. Every Seek starts again from the bucket's root, so writes in between do no harm.
func get(tx *bolt.Tx, bucket []byte, cur **bolt.Cursor, key []byte) []byte {
	if *cur == nil {
		*cur = tx.Bucket(bucket).Cursor()
	}
	k, v := (*cur).Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// lookup is get with the cache's cursor, or b.Get without a cache.
func (t ltx) lookup(bucket []byte, cur func(*txCache) **bolt.Cursor, key []byte) []byte {
	if t.c == nil {
		return t.tx.Bucket(bucket).Get(key)
	}
	return get(t.tx, bucket, cur(t.c), key)
}

func txnsCur(c *txCache) **bolt.Cursor { return &c.txnsCur }
func authCur(c *txCache) **bolt.Cursor { return &c.authCur }
func balCur(c *txCache) **bolt.Cursor  { return &c.balCur }
func failCur(c *txCache) **bolt.Cursor { return &c.failCur }

var _ ledger.Tx = ltx{}

func newCachedTx(tx *bolt.Tx, decoded *decodedCache) ltx {
	return ltx{tx: tx, c: &txCache{
		decoded:   decoded,
		terminals: map[string]store.Terminal{}, merchants: map[string]store.Merchant{},
		auths: map[string]authEntry{}, dirtyAuths: map[string]bool{},
		balances: map[string]int64{}, dirtyBals: map[string]bool{},
		failures: map[store.Subject]store.Failures{},
	}}
}

// decodedCache keeps terminals and merchants decoded between write transactions. Every use compares
// the stored bytes with the ones the value was decoded from, so it is never stale, whatever wrote them
// and whether that commit stood; it only saves decoding JSON for every one-payment request. Only the
// writer goroutine uses it.
type decodedCache struct {
	terminals map[string]decoded[store.Terminal]
	merchants map[string]decoded[store.Merchant]
}

type decoded[T any] struct {
	raw []byte
	v   T
}

// maxDecoded bounds each map of the cache; past it the map starts over.
const maxDecoded = 4096

func newDecodedCache() *decodedCache {
	return &decodedCache{terminals: map[string]decoded[store.Terminal]{}, merchants: map[string]decoded[store.Merchant]{}}
}

// getDecoded returns the record at key, decoded from JSON, from m when the stored bytes are unchanged.
func getDecoded[T any](m map[string]decoded[T], b *bolt.Bucket, key, what string) (T, error) {
	var v T
	raw := b.Get([]byte(key))
	if raw == nil {
		return v, fmt.Errorf("%w: %s %s", store.ErrNotFound, what, key)
	}
	if d, ok := m[key]; ok && bytes.Equal(d.raw, raw) {
		return d.v, nil
	}
	if err := getJSONRaw(raw, what+" "+key, &v); err != nil {
		return v, err
	}
	if len(m) >= maxDecoded {
		clear(m)
	}
	m[key] = decoded[T]{raw: bytes.Clone(raw), v: v}
	return v, nil
}

// flush writes back what the cache holds dirty. A cached ltx must be flushed before its transaction
// commits.
func (t ltx) flush() error {
	if t.c == nil {
		return nil
	}
	for id := range t.c.dirtyAuths {
		if err := putAuthEntry(t.tx, t.c.auths[id]); err != nil {
			return err
		}
	}
	for id := range t.c.dirtyBals {
		if err := putBalance(t.tx, id, t.c.balances[id]); err != nil {
			return err
		}
	}
	clear(t.c.dirtyAuths)
	clear(t.c.dirtyBals)
	return nil
}

func (t ltx) Terminal(id string) (store.Terminal, error) {
	if v, ok := t.c.terminal(id); ok {
		return v, nil
	}
	var v store.Terminal
	var err error
	if t.c != nil && t.c.decoded != nil {
		v, err = getDecoded(t.c.decoded.terminals, t.tx.Bucket(bktTerminals), id, "terminal")
	} else {
		err = getJSON(t.tx.Bucket(bktTerminals), []byte(id), "terminal "+id, &v)
	}
	if err == nil && t.c != nil {
		t.c.terminals[id] = v
	}
	return v, err
}

func (c *txCache) terminal(id string) (store.Terminal, bool) {
	if c == nil {
		return store.Terminal{}, false
	}
	v, ok := c.terminals[id]
	return v, ok
}

func (t ltx) Merchant(id string) (store.Merchant, error) {
	if t.c != nil {
		if v, ok := t.c.merchants[id]; ok {
			return v, nil
		}
	}
	var v store.Merchant
	var err error
	if t.c != nil && t.c.decoded != nil {
		v, err = getDecoded(t.c.decoded.merchants, t.tx.Bucket(bktMerchants), id, "merchant")
	} else {
		err = getJSON(t.tx.Bucket(bktMerchants), []byte(id), "merchant "+id, &v)
	}
	if err == nil && t.c != nil {
		t.c.merchants[id] = v
	}
	return v, err
}

// authEntry is an authorization with the counters of its used codes and the seqs of its txns (the
// first maxInlineTxns; later ones are keys of their own, authTxnKey), both ascending.
type authEntry struct {
	a    store.Authorization
	used ascList
	txns ascList
}

// maxInlineTxns bounds the txn list kept in an authorization's record, so that declined attempts
// without end cannot grow the record every group rewrites: past it, and for stores written before
// the list existed, the authorization's txns are keys of their own beside the record. It is above
// the policy's most codes per authorization (1,000), so an authorization's payments never need a
// key of their own; a seq takes one to three bytes in the list (the difference from the previous).
const maxInlineTxns = 1024

func putAuthEntry(tx *bolt.Tx, e authEntry) error {
	return abort(tx.Bucket(bktAuthData).Put(authKey(e.a.ID), encodeAuthEntry(&e)))
}

// loadAuth reads an authorization and its used codes, from the cache when it has them.
func (t ltx) loadAuth(id string) (authEntry, error) {
	if t.c != nil {
		if e, ok := t.c.auths[id]; ok {
			return e, nil
		}
	}
	raw := t.lookup(bktAuthData, authCur, authKey(id))
	if raw == nil {
		return authEntry{}, fmt.Errorf("%w: authorization %s", store.ErrNotFound, id)
	}
	var e authEntry
	var err error
	if t.c != nil {
		// The cache lives in one write transaction, where the stored bytes stay valid.
		e, err = decodeAuthEntryInTx(raw)
	} else {
		e, err = decodeAuthEntry(raw)
	}
	if err != nil {
		return authEntry{}, err
	}
	if t.c != nil {
		t.c.auths[id] = e
	}
	return e, nil
}

// storeAuth writes e back (at flush, when cached).
func (t ltx) storeAuth(e authEntry) error {
	if t.c != nil {
		t.c.auths[e.a.ID] = e
		t.c.dirtyAuths[e.a.ID] = true
		t.c.writes++
		return nil
	}
	return putAuthEntry(t.tx, e)
}

func (t ltx) Authorization(id string) (store.Authorization, error) {
	e, err := t.loadAuth(id)
	return e.a, err
}

func (t ltx) PutAuthorization(a store.Authorization) error {
	e, err := t.loadAuth(a.ID)
	if err != nil {
		return abort(err)
	}
	e.a = a
	return t.storeAuth(e)
}

func (t ltx) Balance(id string) (int64, error) {
	if t.c != nil {
		if v, ok := t.c.balances[id]; ok {
			return v, nil
		}
	}
	raw := t.lookup(bktBalances, balCur, []byte(id))
	if len(raw) != 8 {
		return 0, fmt.Errorf("%w: account %s", store.ErrNotFound, id)
	}
	v := int64(getU64(raw))
	if t.c != nil {
		t.c.balances[id] = v
	}
	return v, nil
}

func (t ltx) setBalance(id string, v int64) error {
	if t.c != nil {
		t.c.balances[id] = v
		t.c.dirtyBals[id] = true
		t.c.writes++
		return nil
	}
	return putBalance(t.tx, id, v)
}

func txnKey(k store.TxnKey) []byte { return pair(k.TerminalID, k.TerminalTxnID) }

// Txn returns the bare store.ErrNotFound for a key not seen: every new payment asks, and formatting a
// message for each was measurable.
func (t ltx) Txn(k store.TxnKey) (store.Txn, error) {
	raw := t.lookup(bktTxns, txnsCur, txnKey(k))
	if raw == nil {
		return store.Txn{}, store.ErrNotFound
	}
	return decodeTxn(raw)
}

func (t ltx) InsertTxn(v *store.Txn) error {
	b := t.tx.Bucket(bktTxns)
	if v.Seq == 0 {
		seq, err := b.NextSequence()
		if err != nil {
			return abort(err)
		}
		v.Seq = seq
	} else if v.Seq > b.Sequence() {
		// Import keeps the exported numbering.
		if err := b.SetSequence(v.Seq); err != nil {
			return abort(err)
		}
	}
	k := txnKey(v.Key)
	b.FillPercent = appendFill
	if err := abort(b.Put(k, encodeTxn(v))); err != nil {
		return err
	}
	seq := u64(v.Seq)
	bySeq := t.tx.Bucket(bktTxnBySeq)
	bySeq.FillPercent = appendFill
	if err := bySeq.Put(seq, k); err != nil {
		return abort(err)
	}
	for _, ix := range txnIndexes(v) {
		ib := t.tx.Bucket(ix.bucket)
		ib.FillPercent = appendFill
		if err := ib.Put(ix.key, indexMark); err != nil {
			return abort(err)
		}
	}
	if v.AuthorizationID != "" {
		if err := t.listTxn(v.AuthorizationID, v.Seq); err != nil {
			return err
		}
	}
	if ix, ok := activityIndex(v); ok {
		ab := t.tx.Bucket(ix.bucket)
		ab.FillPercent = appendFill
		return abort(ab.Put(ix.key, activityValue(v)))
	}
	return nil
}

type txnIndex struct {
	bucket []byte
	key    []byte
}

// txnIndexes are the listing index entries of a txn besides txn_by_seq and its authorization's txn
// list (listTxn). Listing by terminal reads the txns bucket itself; by user, the user's
// authorizations' lists plus txn_by_user for txns that name no authorization.
func txnIndexes(v *store.Txn) []txnIndex {
	var ix []txnIndex
	if v.MerchantID != "" {
		ix = append(ix, txnIndex{bktTxnByMerchant, prefixed(v.MerchantID, u64(v.Seq))})
	}
	if v.AuthorizationID == "" && v.UserID != "" {
		ix = append(ix, txnIndex{bktTxnByUser, prefixed(v.UserID, u64(v.Seq))})
	}
	return ix
}

// listTxn adds txn seq to authorization id's txn list: in the authorization's record, which the
// payment rewrites anyway, while it has room; else (a full list, or a txn naming an authorization
// that does not exist) as a key of its own beside the record.
func (t ltx) listTxn(id string, seq uint64) error {
	e, err := t.loadAuth(id)
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return abort(err)
	case err == nil && e.txns.Len() < maxInlineTxns:
		if !e.txns.Insert(seq) { // in place: see PutUsedCode
			return abort(fmt.Errorf("%w: txn seq %d of authorization %s", store.ErrExists, seq, id))
		}
		return t.storeAuth(e)
	}
	return abort(t.tx.Bucket(bktAuthData).Put(authTxnKey(id, seq), indexMark))
}

// authTxnSeqs returns the seqs of authorization id's txns below before, newest first, at most n:
// those listed in its record and those kept as keys.
func authTxnSeqs(b *bolt.Bucket, id string, before uint64, n int) ([]uint64, error) {
	var seqs []uint64
	if raw := b.Get(authKey(id)); raw != nil {
		e, err := decodeAuthEntry(raw)
		if err != nil {
			return nil, err
		}
		for _, s := range e.txns.Values() {
			if s < before {
				seqs = append(seqs, s)
			}
		}
	}
	walkBack(b, authTagKey(id, tagTxn, nil), before, n, func(seq uint64) error { seqs = append(seqs, seq); return nil })
	slices.SortFunc(seqs, func(a, b uint64) int { return cmp.Compare(b, a) })
	return seqs[:min(n, len(seqs))], nil
}

func (t ltx) UpdateTxn(v store.Txn) error {
	if err := dropActivity(t.tx, &v); err != nil {
		return err
	}
	return abort(t.tx.Bucket(bktTxns).Put(txnKey(v.Key), encodeTxn(&v)))
}

func (t ltx) CodeUsed(authID string, counter uint64) (bool, error) {
	e, err := t.loadAuth(authID)
	if err != nil {
		return false, err
	}
	return e.used.Contains(counter), nil
}

// PutUsedCode marks the code used in its authorization's record. The rest of store.UsedCode is the
// payment's own txn, where Export finds it again.
func (t ltx) PutUsedCode(u store.UsedCode) error {
	e, err := t.loadAuth(u.AuthorizationID)
	if err != nil {
		return abort(err)
	}
	// In place, not into a copy: copying made a batch of 1,000 payments on one authorization
	// quadratic (3 µs a payment). The only other holder of this buffer is the cache's entry, which
	// storeAuth replaces at once.
	if !e.used.Insert(u.Counter) {
		return abort(fmt.Errorf("%w: code %d of authorization %s", store.ErrExists, u.Counter, u.AuthorizationID))
	}
	return t.storeAuth(e)
}

func (t ltx) AppendEntry(e *store.Entry) error {
	b := t.tx.Bucket(bktEntries)
	b.FillPercent = appendFill
	if e.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return abort(err)
		}
		e.ID = id
	} else if e.ID > b.Sequence() {
		if err := b.SetSequence(e.ID); err != nil {
			return abort(err)
		}
	}
	e.At = ledger.Norm(e.At)
	if err := abort(b.Put(u64(e.ID), encodeEntry(e))); err != nil {
		return err
	}
	for _, l := range e.Legs {
		bal, err := t.Balance(l.AccountID)
		if err != nil {
			return abort(err)
		}
		if err := t.setBalance(l.AccountID, bal+l.Delta); err != nil {
			return err
		}
	}
	return nil
}

func failureKey(s store.Subject) []byte { return pair(string(s.Kind), s.ID) }

func (t ltx) RecordFailure(s store.Subject, at time.Time) error {
	if t.c != nil {
		delete(t.c.failures, s)
	}
	_, err := recordFailure(t.tx, s, at, time.Time{})
	return err
}

// Failures reads s's failures, once per group with a cache: every payment checks its terminal and
// its user, and a batch has one terminal.
func (t ltx) Failures(s store.Subject) (store.Failures, error) {
	if t.c != nil {
		if f, ok := t.c.failures[s]; ok {
			return f, nil
		}
	}
	f := store.Failures{Subject: s}
	raw := t.lookup(bktFailures, failCur, failureKey(s))
	if raw != nil {
		if err := getJSONRaw(raw, "failures", &f); err != nil {
			return f, abort(err)
		}
	}
	if t.c != nil {
		t.c.failures[s] = f
	}
	return f, nil
}

// recordFailure adds one failure at time at and returns the counts with window start since.
func recordFailure(tx *bolt.Tx, s store.Subject, at, since time.Time) (store.FailureCount, error) {
	at = ledger.Norm(at)
	b := tx.Bucket(bktFailures)
	f := store.Failures{Subject: s}
	if b.Get(failureKey(s)) != nil {
		if err := getJSON(b, failureKey(s), "failures", &f); err != nil {
			return store.FailureCount{}, abort(err)
		}
	}
	ledger.AddFailure(&f, at)
	if err := putJSON(b, failureKey(s), f); err != nil {
		return store.FailureCount{}, err
	}
	return ledger.CountFailures(f, since, at), nil
}
