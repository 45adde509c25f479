package queue

import "testing"

// putVia stores a new record in r.State through the legal moves that lead there (Path); the
// package's own tests cannot import queuetest, which imports this package.
func putVia(t testing.TB, tx Tx, r Record) error {
	t.Helper()
	for _, st := range Path(r.State) {
		step := r
		step.State = st
		if err := tx.Put(step); err != nil {
			return err
		}
	}
	return nil
}
