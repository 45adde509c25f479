package memstore

import "context"

// Ping fails only after Close (or when ctx is done): memory is always there.
func (s *engine) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}
