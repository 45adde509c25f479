package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// orderTx is ledger.OrderTx over a snapshot inside one SERIALIZABLE transaction: the payment state
// comes from the snapshot (balances read with row locks, written back by its flush), orders are read
// with FOR UPDATE and written at the end with the snapshot's writes.
type orderTx struct {
	*snapshot
	tx      pgx.Tx
	inserts []store.Order
	updates []store.Order
}

var _ ledger.OrderTx = (*orderTx)(nil)

const selectOrderSQL = `SELECT record FROM orders WHERE `

func (t *orderTx) one(where string, args ...any) (store.Order, error) {
	var raw []byte
	err := t.tx.QueryRow(t.ctx, selectOrderSQL+where+` FOR UPDATE`, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Order{}, fmt.Errorf("%w: order %v", store.ErrNotFound, args)
	}
	if err != nil {
		return store.Order{}, err
	}
	return decodeOrder(raw)
}

func decodeOrder(raw []byte) (store.Order, error) {
	var o store.Order
	if err := json.Unmarshal(raw, &o); err != nil {
		return store.Order{}, fmt.Errorf("pgstore: corrupt order: %w", err)
	}
	return o, nil
}

func (t *orderTx) Order(id string) (store.Order, error) {
	for _, o := range t.inserts {
		if o.ID == id {
			return o, nil
		}
	}
	return t.one(`id = $1`, id)
}

func (t *orderTx) OrderByKey(terminalID, terminalOrderID string) (store.Order, error) {
	for _, o := range t.inserts {
		if o.TerminalID == terminalID && o.TerminalOrderID == terminalOrderID {
			return o, nil
		}
	}
	return t.one(`terminal_id = $1 AND terminal_order_id = $2`, terminalID, terminalOrderID)
}

func (t *orderTx) InsertOrder(o *store.Order) error {
	if err := t.tx.QueryRow(t.ctx, `SELECT nextval('order_seqs')`).Scan(&o.Seq); err != nil {
		return err
	}
	t.inserts = append(t.inserts, *o)
	return nil
}

func (t *orderTx) PutOrder(o store.Order) error {
	t.updates = append(t.updates, o)
	return nil
}

// queue adds the order writes to b.
func (t *orderTx) queue(b *pgx.Batch) error {
	for _, o := range t.inserts {
		raw, err := json.Marshal(o)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO orders (id, terminal_id, terminal_order_id, seq, state, record) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.ID, o.TerminalID, o.TerminalOrderID, int64(o.Seq), string(o.State), raw)
	}
	for _, o := range t.updates {
		raw, err := json.Marshal(o)
		if err != nil {
			return err
		}
		b.Queue(`UPDATE orders SET state = $2, record = $3 WHERE id = $1`, o.ID, string(o.State), raw)
	}
	return nil
}

// orderWrite runs fn over an orderTx in a SERIALIZABLE transaction (retried on conflicts) and writes
// what it changed. A refusal from fn is returned with nothing written.
func (s *Store) orderWrite(ctx context.Context, fn func(t *orderTx) error, patch func(t *orderTx)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		t := &orderTx{snapshot: newSnapshot(ctx, tx), tx: tx}
		if err := fn(t); err != nil {
			return err
		}
		if err := t.assignIDs(); err != nil {
			return err
		}
		if patch != nil {
			patch(t)
		}
		b := &pgx.Batch{}
		if err := t.queueWrites(b); err != nil {
			return err
		}
		if err := t.queue(b); err != nil {
			return err
		}
		err := tx.SendBatch(ctx, b).Close()
		if sqlState(err) == sqlUniqueViolation {
			return raced{err} // a concurrent create of the same order: run again and find it
		}
		return err
	})
}

func (s *Store) CreateOrder(ctx context.Context, o store.Order) (store.Order, bool, error) {
	var out store.Order
	var replayed bool
	err := s.orderWrite(ctx, func(t *orderTx) (err error) {
		out, replayed, err = ledger.CreateOrder(t, o)
		return err
	}, nil)
	if err != nil {
		return store.Order{}, false, err
	}
	return out, replayed, nil
}

func (s *Store) GetOrder(ctx context.Context, id string) (store.Order, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, selectOrderSQL+`id = $1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Order{}, fmt.Errorf("%w: order %s", store.ErrNotFound, id)
	}
	if err != nil {
		return store.Order{}, mapErr(err)
	}
	return decodeOrder(raw)
}

func (s *Store) ListOrders(ctx context.Context, f store.OrderFilter) ([]store.Order, error) {
	after := int64(f.AfterSeq)
	if f.AfterSeq > 1<<62 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, selectOrderSQL+`terminal_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		f.TerminalID, after, limit(f.Limit))
	if err != nil {
		return nil, mapErr(err)
	}
	raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Order, 0, len(raws))
	for _, raw := range raws {
		o, err := decodeOrder(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Store) CancelOrder(ctx context.Context, id, terminalID string, at time.Time) (store.Order, error) {
	var out store.Order
	err := s.orderWrite(ctx, func(t *orderTx) (err error) {
		out, err = ledger.CancelOrder(t, id, terminalID, at)
		return err
	}, nil)
	if err != nil {
		return store.Order{}, err
	}
	return out, nil
}

func (s *Store) ConfirmOrder(ctx context.Context, c store.OrderConfirm) (store.Order, store.Txn, bool, error) {
	var (
		o        store.Order
		txn      store.Txn
		replayed bool
	)
	err := s.orderWrite(ctx, func(t *orderTx) (err error) {
		o, txn, replayed, err = ledger.ConfirmOrder(t, c)
		return err
	}, func(t *orderTx) {
		if !replayed {
			t.patch(&txn.Outcome)
		}
	})
	if err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	return o, txn, replayed, nil
}
