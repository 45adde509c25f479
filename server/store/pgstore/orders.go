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

// orderTx is ledger.OrderTx over the writer's group snapshot: the payment state comes from the
// snapshot (balances read with row locks, written back by its flush), orders are read with FOR UPDATE
// and written with the group's writes. Order writes go through the single writer like payments, so
// that the confirmations of many orders of one merchant share a transaction instead of fighting over
// the merchant's balance row.
type orderTx struct {
	*snapshot
	q batchSender
	// known holds every order read or written in this group, so a later call sees an earlier one's
	// change; inserted and dirty say what to write.
	known    map[string]*store.Order
	inserted []string
	dirty    []string // in the order of first change, so the statements are deterministic
	dirtySet map[string]bool
	// absent are ids and keys the prefetch found missing.
	absentIDs  map[string]bool
	absentKeys map[[2]string]bool
}

// orderNeeds names the rows an order call will read, for the group's prefetch.
type orderNeeds struct {
	ids       []string
	keys      [][2]string // terminal id, terminal order id
	terminals []string
	accounts  []string
}

// prefetch reads the group's orders (locked) in one round trip, then their terminals, merchants,
// accounts and payment txns in a second, so that deciding a group of order calls costs two round
// trips instead of several per call.
func (t *orderTx) prefetch(n orderNeeds) error {
	if len(n.ids) == 0 && len(n.keys) == 0 {
		return nil
	}
	if t.absentIDs == nil {
		t.absentIDs, t.absentKeys = map[string]bool{}, map[[2]string]bool{}
	}
	kt, ko := make([]string, len(n.keys)), make([]string, len(n.keys))
	for i, k := range n.keys {
		kt[i], ko[i] = k[0], k[1]
	}
	var found []store.Order
	b := &pgx.Batch{}
	b.Queue(selectOrderSQL+`id = ANY($1::text[]) OR (terminal_id, terminal_order_id) IN (SELECT * FROM unnest($2::text[], $3::text[])) FOR UPDATE`,
		n.ids, kt, ko).Query(func(rows pgx.Rows) error {
		raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		for _, raw := range raws {
			o, err := decodeOrder(raw)
			if err != nil {
				return err
			}
			found = append(found, o)
		}
		return nil
	})
	if err := t.q.SendBatch(t.ctx, b).Close(); err != nil {
		return err
	}
	for _, id := range n.ids {
		t.absentIDs[id] = true
	}
	for _, k := range n.keys {
		t.absentKeys[k] = true
	}
	k := keySet{terminals: n.terminals, accounts: n.accounts}
	for _, o := range found {
		if t.known[o.ID] == nil { // an order this group already changed keeps its change
			t.remember(o)
		}
		delete(t.absentIDs, o.ID)
		delete(t.absentKeys, [2]string{o.TerminalID, o.TerminalOrderID})
		k.terminals = append(k.terminals, o.TerminalID)
		k.txns = append(k.txns, o.PaymentKey())
	}
	return t.load(k, true)
}

var _ ledger.OrderTx = (*orderTx)(nil)

const (
	selectOrderSQL = `SELECT record FROM orders WHERE `
	insertOrderSQL = `INSERT INTO orders (id, terminal_id, terminal_order_id, seq, state, record) VALUES ($1, $2, $3, $4, $5, $6)`
)

// isRefusal reports whether err is an order or payment refusal decided before anything was written
// (as opposed to a database failure, which fails the group).
func isRefusal(err error) bool {
	for _, sentinel := range []error{store.ErrOrderPaid, store.ErrOrderExpired, store.ErrOrderCancelled,
		store.ErrNotFound, store.ErrExists, store.ErrInvalidArgument, store.ErrInsufficientFunds,
		store.ErrIdempotencyMismatch} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}

func (t *orderTx) remember(o store.Order) store.Order {
	if t.known == nil {
		t.known, t.dirtySet = map[string]*store.Order{}, map[string]bool{}
	}
	t.known[o.ID] = &o
	return o
}

// one reads one order with a row lock, through the group's connection.
func (t *orderTx) one(where string, args ...any) (store.Order, error) {
	var raw []byte
	found := false
	b := &pgx.Batch{}
	b.Queue(selectOrderSQL+where+` FOR UPDATE`, args...).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		if rows.Next() {
			found = true
			return rows.Scan(&raw)
		}
		return rows.Err()
	})
	if err := t.q.SendBatch(t.ctx, b).Close(); err != nil {
		return store.Order{}, err
	}
	if !found {
		return store.Order{}, fmt.Errorf("%w: order %v", store.ErrNotFound, args)
	}
	o, err := decodeOrder(raw)
	if err != nil {
		return store.Order{}, err
	}
	return t.remember(o), nil
}

func decodeOrder(raw []byte) (store.Order, error) {
	var o store.Order
	if err := json.Unmarshal(raw, &o); err != nil {
		return store.Order{}, fmt.Errorf("pgstore: corrupt order: %w", err)
	}
	return o, nil
}

func (t *orderTx) Order(id string) (store.Order, error) {
	if o := t.known[id]; o != nil {
		return *o, nil
	}
	if t.absentIDs[id] {
		return store.Order{}, fmt.Errorf("%w: order %s", store.ErrNotFound, id)
	}
	return t.one(`id = $1`, id)
}

func (t *orderTx) OrderByKey(terminalID, terminalOrderID string) (store.Order, error) {
	for _, o := range t.known {
		if o.TerminalID == terminalID && o.TerminalOrderID == terminalOrderID {
			return *o, nil
		}
	}
	if t.absentKeys[[2]string{terminalID, terminalOrderID}] {
		return store.Order{}, fmt.Errorf("%w: order %s/%s", store.ErrNotFound, terminalID, terminalOrderID)
	}
	return t.one(`terminal_id = $1 AND terminal_order_id = $2`, terminalID, terminalOrderID)
}

func (t *orderTx) InsertOrder(o *store.Order) error {
	b := &pgx.Batch{}
	b.Queue(`SELECT nextval('order_seqs')`).QueryRow(func(row pgx.Row) error { return row.Scan(&o.Seq) })
	if err := t.q.SendBatch(t.ctx, b).Close(); err != nil {
		return err
	}
	t.remember(*o)
	t.inserted = append(t.inserted, o.ID)
	return nil
}

func (t *orderTx) PutOrder(o store.Order) error {
	t.remember(o)
	if !t.dirtySet[o.ID] {
		t.dirtySet[o.ID] = true
		t.dirty = append(t.dirty, o.ID)
	}
	return nil
}

// queue adds the group's order writes to b.
func (t *orderTx) queue(b *pgx.Batch) error {
	ins := map[string]bool{}
	for _, id := range t.inserted {
		ins[id] = true
		o := t.known[id]
		raw, err := json.Marshal(o)
		if err != nil {
			return err
		}
		b.Queue(insertOrderSQL,
			o.ID, o.TerminalID, o.TerminalOrderID, int64(o.Seq), string(o.State), raw)
	}
	for _, id := range t.dirty {
		if ins[id] {
			continue // the insert carries the latest state
		}
		o := t.known[id]
		raw, err := json.Marshal(o)
		if err != nil {
			return err
		}
		b.Queue(`UPDATE orders SET state = $2, record = $3 WHERE id = $1`, o.ID, string(o.State), raw)
	}
	return nil
}

// orderWrite runs fn in the writer's next group (see writer.go) and done once ids are assigned. A
// refusal from fn is returned with nothing written.
func (s *engine) orderWrite(ctx context.Context, nonce *store.Nonce, needs orderNeeds, fn func(t *orderTx) error, done func(t *orderTx)) error {
	c := &call{nonce: nonce, order: fn, orderDone: done, orderNeeds: needs}
	if err := s.w.do(ctx, c); err != nil {
		return err
	}
	return c.err
}

func (s *engine) CreateOrder(ctx context.Context, o store.Order) (store.Order, bool, error) {
	var out store.Order
	var replayed bool
	nonce, err := ledger.OrderNonce(o)
	if err != nil {
		return store.Order{}, false, err
	}
	needs := orderNeeds{ids: []string{o.ID}, keys: [][2]string{{o.TerminalID, o.TerminalOrderID}}, terminals: []string{o.TerminalID}}
	err = s.orderWrite(ctx, nonce, needs, func(t *orderTx) (err error) {
		out, replayed, err = ledger.CreateOrder(t, o)
		return err
	}, nil)
	if err != nil {
		return store.Order{}, false, err
	}
	return out, replayed, nil
}

func (s *engine) GetOrder(ctx context.Context, id string) (store.Order, error) {
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

func (s *engine) ListOrders(ctx context.Context, f store.OrderFilter) ([]store.Order, error) {
	after := int64(f.AfterSeq)
	if f.AfterSeq > 1<<62 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, selectOrderSQL+`terminal_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		f.TerminalID, after, f.Limit)
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

func (s *engine) CancelOrder(ctx context.Context, id, terminalID string, at time.Time) (store.Order, error) {
	var out store.Order
	err := s.orderWrite(ctx, nil, orderNeeds{ids: []string{id}}, func(t *orderTx) (err error) {
		out, err = ledger.CancelOrder(t, id, terminalID, at)
		return err
	}, nil)
	if err != nil {
		return store.Order{}, err
	}
	return out, nil
}

func (s *engine) ConfirmOrder(ctx context.Context, c store.OrderConfirm) (store.Order, store.Txn, bool, error) {
	var (
		o        store.Order
		txn      store.Txn
		replayed bool
	)
	needs := orderNeeds{ids: []string{c.OrderID}, accounts: []string{c.AccountID}}
	if c.Create != nil {
		needs.keys = [][2]string{{c.Create.TerminalID, c.Create.TerminalOrderID}}
		needs.terminals = []string{c.Create.TerminalID}
	}
	err := s.orderWrite(ctx, nil, needs, func(t *orderTx) (err error) {
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

func scanOrder(row pgx.Row) (store.Order, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		return store.Order{}, err
	}
	return decodeOrder(raw)
}

// insertOrder writes an exported order verbatim, Seq included.
func insertOrder(ctx context.Context, q execer, o store.Order) error {
	raw, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, insertOrderSQL,
		o.ID, o.TerminalID, o.TerminalOrderID, int64(o.Seq), string(o.State), raw)
	return err
}
