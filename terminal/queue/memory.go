package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Memory is an in-memory Store for tests of the layers above. Transactions are serialized and
// rolled back when fn fails, like Bolt's; FailWrites makes every Update fail, as a full disk would.
type Memory struct {
	mu     sync.Mutex
	state  memState
	closed bool
	// FailWrites, when set, is returned (wrapped in ErrStorage) by every Update.
	FailWrites error
}

// memState is the whole content of a Memory store. An Update works on a copy and swaps it in on
// success, which is how rollback works; the fake only ever holds a test's few records.
type memState struct {
	seq  uint64
	feed uint64 // the order feed's cursor
	recs map[uint64][]byte
	ids  map[string]uint64
	seen map[string]SeenCode
}

func (s memState) clone() memState {
	return memState{seq: s.seq, feed: s.feed, recs: maps.Clone(s.recs), ids: maps.Clone(s.ids), seen: maps.Clone(s.seen)}
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{state: memState{recs: map[uint64][]byte{}, ids: map[string]uint64{}, seen: map[string]SeenCode{}}}
}

func (m *Memory) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	tx := &memTx{st: m.state.clone(), writable: true}
	if err := fn(tx); err != nil {
		return err
	}
	if m.FailWrites != nil {
		return fmt.Errorf("%w: %w", ErrStorage, m.FailWrites)
	}
	m.state = tx.st
	return nil
}

func (m *Memory) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return fn(&memTx{st: m.state})
}

func (m *Memory) Check(context.Context) error { return nil }

func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// memTx is a transaction on a memState: a private copy when writable, the committed one when not.
type memTx struct {
	st       memState
	writable bool
}

var errReadOnly = fmt.Errorf("queue: read-only transaction")

func (t *memTx) NextSeq() (uint64, error) {
	if !t.writable {
		return 0, errReadOnly
	}
	t.st.seq++
	return t.st.seq, nil
}

func (t *memTx) RaiseSeq(floor uint64) error {
	if !t.writable {
		return errReadOnly
	}
	t.st.seq = max(t.st.seq, floor)
	return nil
}

func (t *memTx) getSeq(seq uint64) (Record, error) {
	v, ok := t.st.recs[seq]
	if !ok {
		return Record{}, fmt.Errorf("%w: sequence %d", ErrNotFound, seq)
	}
	var r Record
	err := json.Unmarshal(v, &r)
	return r, err
}

func (t *memTx) Get(txnID string) (Record, error) {
	seq, ok := t.st.ids[txnID]
	if !ok {
		return Record{}, fmt.Errorf("%w: %q", ErrNotFound, txnID)
	}
	return t.getSeq(seq)
}

func (t *memTx) Put(r Record) error {
	if !t.writable {
		return errReadOnly
	}
	if r.Seq == 0 || r.TxnID == "" {
		return fmt.Errorf("queue: record needs a sequence and a transaction id")
	}
	prev, err := t.getSeq(r.Seq)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := checkMove(prev, err == nil, r); err != nil {
		return err
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	t.st.recs[r.Seq] = v
	t.st.ids[r.TxnID] = r.Seq
	return nil
}

func (t *memTx) MarkSeen(key, txnID string, expires time.Time) (string, bool, error) {
	if v, ok := t.st.seen[key]; ok {
		return v.TxnID, true, nil
	}
	if !t.writable {
		return "", false, errReadOnly
	}
	// Stored as Bolt stores it: whole seconds, UTC.
	if !expires.IsZero() {
		expires = time.Unix(expires.Unix(), 0).UTC()
	}
	t.st.seen[key] = SeenCode{Key: key, TxnID: txnID, Expires: expires}
	return "", false, nil
}

// seqs returns the stored sequences in order.
func (t *memTx) seqs() []uint64 {
	keys := slices.Collect(maps.Keys(t.st.recs))
	slices.Sort(keys)
	return keys
}

func (t *memTx) filter(keep func(State) bool, limit int) ([]Record, error) {
	return t.filterRecords(func(r Record) bool { return keep(r.State) }, limit)
}

func (t *memTx) filterRecords(keep func(Record) bool, limit int) ([]Record, error) {
	var out []Record
	for _, k := range t.seqs() {
		if limit > 0 && len(out) >= limit {
			break
		}
		r, err := t.getSeq(k)
		if err != nil {
			return nil, err
		}
		if keep(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (t *memTx) Outbox(limit int) ([]Record, error) { return t.filter(State.Outbox, limit) }

func (t *memTx) OpenRecords() ([]Record, error) { return t.filter(State.Open, 0) }

func (t *memTx) FollowUps() ([]Record, error) { return t.filterRecords(Record.FollowUp, 0) }

func (t *memTx) FeedCursor() (uint64, error) { return t.st.feed, nil }

func (t *memTx) SetFeedCursor(seq uint64) error {
	if !t.writable {
		return errReadOnly
	}
	t.st.feed = seq
	return nil
}

func (t *memTx) OutboxLen() (int, error) {
	recs, err := t.Outbox(0)
	return len(recs), err
}

func (t *memTx) Exposure(currency string) (Exposure, error) {
	recs, err := t.Outbox(0)
	return exposureOf(recs, currency), err
}

func (t *memTx) Recent(before uint64, limit int) ([]Record, error) {
	seqs := t.seqs()
	var out []Record
	for i := len(seqs) - 1; i >= 0 && len(out) < limit; i-- {
		if before != 0 && seqs[i] >= before {
			continue
		}
		r, err := t.getSeq(seqs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *memTx) Scan(after uint64, limit int) ([]Record, error) {
	var out []Record
	for _, k := range t.seqs() {
		if len(out) >= limit {
			break
		}
		if k <= after {
			continue
		}
		r, err := t.getSeq(k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *memTx) Delete(txnID string) error {
	if !t.writable {
		return errReadOnly
	}
	r, err := t.Get(txnID)
	if err != nil {
		return err
	}
	if !r.State.Final() {
		return fmt.Errorf("%w: %s is %s", ErrNotFinal, txnID, r.State)
	}
	delete(t.st.recs, r.Seq)
	delete(t.st.ids, txnID)
	return nil
}

func (t *memTx) SeenCodes(after string, limit int) ([]SeenCode, error) {
	keys := slices.Collect(maps.Keys(t.st.seen))
	sort.Strings(keys)
	var out []SeenCode
	for _, k := range keys {
		if len(out) >= limit {
			break
		}
		if strings.Compare(k, after) > 0 {
			out = append(out, t.st.seen[k])
		}
	}
	return out, nil
}

func (t *memTx) ForgetSeen(key string) error {
	if !t.writable {
		return errReadOnly
	}
	delete(t.st.seen, key)
	return nil
}
