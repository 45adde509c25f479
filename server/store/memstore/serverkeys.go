package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// PutServerKey announces k; the same key again does nothing.
func (s *engine) PutServerKey(ctx context.Context, k store.ServerKey) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k.Created, k.CurrentFrom = ledger.Norm(k.Created), ledger.Norm(k.CurrentFrom)
	if have, ok := s.serverKeys[k.KeyID]; ok {
		if have.EndorsedBy != k.EndorsedBy || !bytes.Equal(have.Endorsement, k.Endorsement) || !have.Created.Equal(k.Created) {
			return fmt.Errorf("%w: server key %s with other contents", store.ErrExists, k.KeyID)
		}
		return nil
	}
	if s.serverKeys == nil {
		s.serverKeys = map[string]store.ServerKey{}
	}
	k.Sealed, k.Endorsement = bytes.Clone(k.Sealed), bytes.Clone(k.Endorsement)
	s.serverKeys[k.KeyID] = k
	return nil
}

// ServerKeys lists the announced keys by CurrentFrom, then id.
func (s *engine) ServerKeys(ctx context.Context) ([]store.ServerKey, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.ServerKey, 0, len(s.serverKeys))
	for _, k := range s.serverKeys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b store.ServerKey) int {
		return cmp.Or(a.CurrentFrom.Compare(b.CurrentFrom), cmp.Compare(a.KeyID, b.KeyID))
	})
	return out, nil
}
