package boltstore

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Order buckets (flow 2). The bucket sequence of bktOrders is the last order Seq.
var (
	bktOrders        = []byte("orders")            // id → Order (JSON)
	bktOrderByKey    = []byte("order_by_key")      // terminal \0 terminal order id → order id
	bktOrderByTermSq = []byte("order_by_terminal") // terminal \0 u64 seq → order id
)

func init() { allBuckets = append(allBuckets, bktOrders, bktOrderByKey, bktOrderByTermSq) }

var _ ledger.OrderTx = ltx{}

func (t ltx) Order(id string) (store.Order, error) {
	var o store.Order
	err := getJSON(t.tx.Bucket(bktOrders), []byte(id), "order "+id, &o)
	return o, err
}

func (t ltx) OrderByKey(terminalID, terminalOrderID string) (store.Order, error) {
	id := t.tx.Bucket(bktOrderByKey).Get(pair(terminalID, terminalOrderID))
	if id == nil {
		return store.Order{}, fmt.Errorf("%w: order %s/%s", store.ErrNotFound, terminalID, terminalOrderID)
	}
	return t.Order(string(id))
}

func (t ltx) InsertOrder(o *store.Order) error {
	b := t.tx.Bucket(bktOrders)
	seq, err := b.NextSequence()
	if err != nil {
		return abort(err)
	}
	o.Seq = seq
	if err := abort(t.tx.Bucket(bktOrderByKey).Put(pair(o.TerminalID, o.TerminalOrderID), []byte(o.ID))); err != nil {
		return err
	}
	if err := abort(t.tx.Bucket(bktOrderByTermSq).Put(prefixed(o.TerminalID, u64(seq)), []byte(o.ID))); err != nil {
		return err
	}
	return putJSON(b, []byte(o.ID), o)
}

func (t ltx) PutOrder(o store.Order) error {
	return putJSON(t.tx.Bucket(bktOrders), []byte(o.ID), o)
}

func (s *engine) CreateOrder(ctx context.Context, o store.Order) (store.Order, bool, error) {
	var out store.Order
	var replayed bool
	nonce, err := ledger.OrderNonce(o)
	if err != nil {
		return store.Order{}, false, err
	}
	err = s.w.do(ctx, 1, func(tx *bolt.Tx) (err error) {
		if nonce != nil {
			// Before any write: a replay is refused with nothing written. A refused order keeps its
			// nonce recorded (as a declined payment does).
			if err := useNonce(tx, *nonce); err != nil {
				return err
			}
		}
		out, replayed, err = ledger.CreateOrder(ltx{tx: tx}, o)
		return err
	})
	return out, replayed, err
}

func (s *engine) GetOrder(ctx context.Context, id string) (store.Order, error) {
	var o store.Order
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		o, err = ltx{tx: tx}.Order(id)
		return err
	})
	return o, err
}

func (s *engine) ListOrders(ctx context.Context, f store.OrderFilter) ([]store.Order, error) {
	n := f.Limit
	var out []store.Order
	err := s.db.View(func(tx *bolt.Tx) error {
		t := ltx{tx: tx}
		prefix := prefixed(f.TerminalID, nil)
		c := tx.Bucket(bktOrderByTermSq).Cursor()
		for k, id := c.Seek(prefixed(f.TerminalID, u64(f.AfterSeq+1))); k != nil && len(out) < n; k, id = c.Next() {
			if len(k) != len(prefix)+8 || string(k[:len(prefix)]) != string(prefix) {
				break
			}
			o, err := t.Order(string(id))
			if err != nil {
				return fmt.Errorf("boltstore: order index names %s: %w", id, err)
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

func (s *engine) CancelOrder(ctx context.Context, id, terminalID string, at time.Time) (store.Order, error) {
	var out store.Order
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) (err error) {
		out, err = ledger.CancelOrder(ltx{tx: tx}, id, terminalID, at)
		return err
	})
	return out, err
}

func (s *engine) ConfirmOrder(ctx context.Context, c store.OrderConfirm) (store.Order, store.Txn, bool, error) {
	var (
		o        store.Order
		txn      store.Txn
		replayed bool
	)
	err := s.w.doLedger(ctx, 1, func(t ltx) error {
		// The rules refuse before they write anything, so a refusal is a plain error and the
		// group goes on; a write failure is an errAbort and rolls the group back.
		var err error
		o, txn, replayed, err = ledger.ConfirmOrder(t, c)
		return err
	})
	return o, txn, replayed, err
}

// exportOrders emits the orders by id (import keeps each Seq as it is).
func exportOrders(ctx context.Context, tx *bolt.Tx, fn func(store.Record) error) error {
	return exportBucket(ctx, tx.Bucket(bktOrders), func(v *store.Order) store.Record { return store.Record{Order: v} }, fn)
}

// importOrder writes an exported order verbatim, Seq included, with its indexes.
func importOrder(tx *bolt.Tx, o store.Order) error {
	if err := ledger.ValidateStoredOrder(o); err != nil {
		return err
	}
	if err := exists(tx, bktOrders, []byte(o.ID), "order "+o.ID); err != nil {
		return err
	}
	if err := exists(tx, bktOrderByKey, pair(o.TerminalID, o.TerminalOrderID), "order "+o.TerminalID+"/"+o.TerminalOrderID); err != nil {
		return err
	}
	b := tx.Bucket(bktOrders)
	if o.Seq > b.Sequence() {
		if err := b.SetSequence(o.Seq); err != nil {
			return abort(err)
		}
	}
	if err := abort(tx.Bucket(bktOrderByKey).Put(pair(o.TerminalID, o.TerminalOrderID), []byte(o.ID))); err != nil {
		return err
	}
	if err := abort(tx.Bucket(bktOrderByTermSq).Put(prefixed(o.TerminalID, u64(o.Seq)), []byte(o.ID))); err != nil {
		return err
	}
	return putJSON(b, []byte(o.ID), o)
}

// checkOrders feeds the orders to the checker and checks their indexes both ways.
func checkOrders(tx *bolt.Tx, c *ledger.Checker) error {
	orders := tx.Bucket(bktOrders)
	n := 0
	err := orders.ForEach(func(k, v []byte) error {
		var o store.Order
		if err := getJSONRaw(v, "order "+string(k), &o); err != nil {
			c.Problem("%v", err)
			return nil
		}
		n++
		c.Order(o)
		if id := tx.Bucket(bktOrderByKey).Get(pair(o.TerminalID, o.TerminalOrderID)); string(id) != o.ID {
			c.Problem("order %s: its key %s/%s points at %q", o.ID, o.TerminalID, o.TerminalOrderID, id)
		}
		if id := tx.Bucket(bktOrderByTermSq).Get(prefixed(o.TerminalID, u64(o.Seq))); string(id) != o.ID {
			c.Problem("order %s: its feed entry %s/%d points at %q", o.ID, o.TerminalID, o.Seq, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bktOrderByKey, bktOrderByTermSq} {
		if got := tx.Bucket(b).Stats().KeyN; got != n {
			c.Problem("index %s has %d keys for %d orders", b, got, n)
		}
	}
	return nil
}
