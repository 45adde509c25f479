package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// Memory is an in-memory Store for tests of the layers above. Transactions are serialized and
// rolled back when fn fails, like Bolt's; FailWrites makes every Update fail, as a full disk would.
type Memory struct {
	mu     sync.Mutex
	seq    uint64
	recs   map[uint64][]byte
	ids    map[string]uint64
	seen   map[string]string
	closed bool

	// FailWrites, when set, is returned (wrapped in ErrStorage) by every Update.
	FailWrites error
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{recs: map[uint64][]byte{}, ids: map[string]uint64{}, seen: map[string]string{}}
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
	tx := &memTx{m: m, seq: m.seq, recs: map[uint64][]byte{}, ids: map[string]uint64{}, seen: map[string]string{}, writable: true}
	if err := fn(tx); err != nil {
		return err
	}
	if m.FailWrites != nil {
		return fmt.Errorf("%w: %w", ErrStorage, m.FailWrites)
	}
	m.seq = tx.seq
	for k, v := range tx.recs {
		m.recs[k] = v
	}
	for k, v := range tx.ids {
		m.ids[k] = v
	}
	for k, v := range tx.seen {
		m.seen[k] = v
	}
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
	return fn(&memTx{m: m, seq: m.seq})
}

func (m *Memory) Check(context.Context) error { return nil }

func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// memTx overlays uncommitted writes on the committed maps.
type memTx struct {
	m        *Memory
	seq      uint64
	recs     map[uint64][]byte
	ids      map[string]uint64
	seen     map[string]string
	writable bool
}

func (t *memTx) NextSeq() (uint64, error) {
	if !t.writable {
		return 0, fmt.Errorf("queue: read-only transaction")
	}
	t.seq++
	return t.seq, nil
}

func (t *memTx) raw(seq uint64) ([]byte, bool) {
	if v, ok := t.recs[seq]; ok {
		return v, true
	}
	v, ok := t.m.recs[seq]
	return v, ok
}

func (t *memTx) getSeq(seq uint64) (Record, error) {
	v, ok := t.raw(seq)
	if !ok {
		return Record{}, fmt.Errorf("%w: sequence %d", ErrNotFound, seq)
	}
	var r Record
	err := json.Unmarshal(v, &r)
	return r, err
}

func (t *memTx) Get(txnID string) (Record, error) {
	seq, ok := t.ids[txnID]
	if !ok {
		seq, ok = t.m.ids[txnID]
	}
	if !ok {
		return Record{}, fmt.Errorf("%w: %q", ErrNotFound, txnID)
	}
	return t.getSeq(seq)
}

func (t *memTx) Put(r Record) error {
	if !t.writable {
		return fmt.Errorf("queue: read-only transaction")
	}
	if r.Seq == 0 || r.TxnID == "" {
		return fmt.Errorf("queue: record needs a sequence and a transaction id")
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	t.recs[r.Seq] = v
	t.ids[r.TxnID] = r.Seq
	return nil
}

func (t *memTx) MarkSeen(key, txnID string) (string, bool, error) {
	if v, ok := t.seen[key]; ok {
		return v, true, nil
	}
	if v, ok := t.m.seen[key]; ok {
		return v, true, nil
	}
	t.seen[key] = txnID
	return "", false, nil
}

func (t *memTx) all() ([]Record, error) {
	seqs := map[uint64]bool{}
	for k := range t.m.recs {
		seqs[k] = true
	}
	for k := range t.recs {
		seqs[k] = true
	}
	keys := make([]uint64, 0, len(seqs))
	for k := range seqs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]Record, 0, len(keys))
	for _, k := range keys {
		r, err := t.getSeq(k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *memTx) filter(keep func(State) bool, limit int) ([]Record, error) {
	all, err := t.all()
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, r := range all {
		if keep(r.State) && (limit <= 0 || len(out) < limit) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (t *memTx) Outbox(limit int) ([]Record, error) { return t.filter(State.Outbox, limit) }

func (t *memTx) OpenRecords() ([]Record, error) { return t.filter(State.Open, 0) }

func (t *memTx) OutboxLen() (int, error) {
	recs, err := t.Outbox(0)
	return len(recs), err
}

func (t *memTx) Exposure(currency string) (Exposure, error) {
	recs, err := t.Outbox(0)
	return exposureOf(recs, currency), err
}

func (t *memTx) Recent(before uint64, limit int) ([]Record, error) {
	all, err := t.all()
	if err != nil {
		return nil, err
	}
	var out []Record
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if before == 0 || all[i].Seq < before {
			out = append(out, all[i])
		}
	}
	return out, nil
}
