package memstore

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// orderMaps holds the orders (flow 2); the maps are made on first use.
type orderMaps struct {
	byID  map[string]store.Order
	byKey map[[2]string]string // terminal, terminal order id → order id
	seq   []string             // seq[n-1] is the order with Seq n
}

var _ ledger.OrderTx = memTx{}

func (m memTx) Order(id string) (store.Order, error) {
	o, ok := m.s.orders.byID[id]
	if !ok {
		return store.Order{}, notFound("order %s", id)
	}
	return cloneOrder(o), nil
}

func (m memTx) OrderByKey(terminalID, terminalOrderID string) (store.Order, error) {
	id, ok := m.s.orders.byKey[[2]string{terminalID, terminalOrderID}]
	if !ok {
		return store.Order{}, notFound("order %s/%s", terminalID, terminalOrderID)
	}
	return m.Order(id)
}

func (m memTx) InsertOrder(o *store.Order) error {
	om := &m.s.orders
	if om.byID == nil {
		om.byID, om.byKey = map[string]store.Order{}, map[[2]string]string{}
	}
	if o.Seq == 0 {
		o.Seq = uint64(len(om.seq)) + 1
	}
	for uint64(len(om.seq)) < o.Seq {
		om.seq = append(om.seq, "") // an imported store may have gaps
	}
	om.seq[o.Seq-1] = o.ID
	om.byID[o.ID] = cloneOrder(*o)
	om.byKey[[2]string{o.TerminalID, o.TerminalOrderID}] = o.ID
	return nil
}

// exportOrders lists the orders by id.
func (s *engine) exportOrders() []store.Record {
	var recs []store.Record
	for _, id := range slices.Sorted(maps.Keys(s.orders.byID)) {
		o := cloneOrder(s.orders.byID[id])
		recs = append(recs, store.Record{Order: &o})
	}
	return recs
}

// importOrder writes a checked order verbatim, Seq included.
func (s *engine) importOrder(o store.Order) {
	o = cloneOrder(o)
	o.CreatedAt, o.ExpiresAt = ledger.Norm(o.CreatedAt), ledger.Norm(o.ExpiresAt)
	o.CancelledAt, o.PaidAt = ledger.Norm(o.CancelledAt), ledger.Norm(o.PaidAt)
	memTx{s}.InsertOrder(&o)
}

func (m memTx) PutOrder(o store.Order) error {
	m.s.orders.byID[o.ID] = cloneOrder(o)
	return nil
}

func cloneOrder(o store.Order) store.Order {
	o.Items = slices.Clone(o.Items)
	o.RequestHash, o.SignatureHash, o.ConfirmHash = bytes.Clone(o.RequestHash), bytes.Clone(o.SignatureHash), bytes.Clone(o.ConfirmHash)
	return o
}

func (s *engine) CreateOrder(ctx context.Context, o store.Order) (store.Order, bool, error) {
	if err := s.lock(ctx); err != nil {
		return store.Order{}, false, err
	}
	defer s.mu.Unlock()
	nonce, err := ledger.OrderNonce(o)
	if err != nil {
		return store.Order{}, false, err
	}
	if nonce != nil {
		if err := s.useNonce(*nonce); err != nil {
			return store.Order{}, false, err
		}
	}
	return ledger.CreateOrder(memTx{s}, o)
}

func (s *engine) GetOrder(ctx context.Context, id string) (store.Order, error) {
	if err := s.lock(ctx); err != nil {
		return store.Order{}, err
	}
	defer s.mu.Unlock()
	return memTx{s}.Order(id)
}

func (s *engine) ListOrders(ctx context.Context, f store.OrderFilter) ([]store.Order, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	n := f.Limit
	var out []store.Order
	for i := f.AfterSeq; i < uint64(len(s.orders.seq)) && len(out) < n; i++ {
		if o, ok := s.orders.byID[s.orders.seq[i]]; ok && o.TerminalID == f.TerminalID {
			out = append(out, cloneOrder(o))
		}
	}
	return out, nil
}

func (s *engine) CancelOrder(ctx context.Context, id, terminalID string, at time.Time) (store.Order, error) {
	if err := s.lock(ctx); err != nil {
		return store.Order{}, err
	}
	defer s.mu.Unlock()
	return ledger.CancelOrder(memTx{s}, id, terminalID, at)
}

func (s *engine) ConfirmOrder(ctx context.Context, c store.OrderConfirm) (store.Order, store.Txn, bool, error) {
	if err := s.lock(ctx); err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	defer s.mu.Unlock()
	return ledger.ConfirmOrder(memTx{s}, c)
}
