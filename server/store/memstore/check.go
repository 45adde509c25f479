package memstore

import (
	"context"
	"maps"
	"slices"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Check runs the ledger invariants; the in-memory maps have no indexes of their own to check beyond
// the sequence list.
func (s *engine) Check(ctx context.Context) (store.Report, error) {
	if err := s.lock(ctx); err != nil {
		return store.Report{}, err
	}
	defer s.mu.Unlock()
	c := ledger.NewChecker()
	for _, id := range slices.Sorted(maps.Keys(s.accounts)) {
		c.Account(s.accounts[id])
	}
	for i, e := range s.entries {
		if e.ID != uint64(i+1) {
			c.Problem("entry %d numbered %d", i+1, e.ID)
		}
		c.Entry(e)
	}
	for _, id := range slices.Sorted(maps.Keys(s.auths)) {
		c.Authorization(s.auths[id])
	}
	for _, u := range s.used {
		c.UsedCode(u)
	}
	for i, k := range s.bySeq {
		if t, ok := s.txns[k]; !ok || t.Seq != uint64(i+1) {
			c.Problem("sequence %d points at %s", i+1, k)
		}
	}
	for _, t := range s.txns {
		c.Txn(t)
	}
	for _, o := range s.orders.byID {
		c.Order(o)
	}
	if len(s.bySeq) != len(s.txns) {
		c.Problem("%d sequence numbers for %d txns", len(s.bySeq), len(s.txns))
	}
	return c.Finish()
}
