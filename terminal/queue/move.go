package queue

import "context"

// Move is the one way code outside this package changes a record's state: it stores r in state to,
// in tx, after Put's check of the move against the record as stored (a *TransitionError wrapping
// ErrTransition when the table does not allow it). r carries the other fields the move changes. The
// moved record is returned also when the write fails, so a caller can report the outcome it could
// not store (the file keeps the old state for Recover).
func Move(tx Tx, r Record, to State) (Record, error) {
	r.State = to
	return r, tx.Put(r)
}

// Transition is Move in a transaction of its own: durable when it returns nil.
func Transition(ctx context.Context, s Store, r Record, to State) (Record, error) {
	var err error
	r.State = to
	err = s.Update(ctx, func(tx Tx) error {
		_, err := Move(tx, r, to)
		return err
	})
	return r, err
}

// Unstored returns r in state to without writing anything: the outcome the register is told when
// the write of r failed (a sale reported declined, a return the server approved). The stored copy
// keeps its open state and Recover closes it at the next start.
func Unstored(r Record, to State) Record {
	r.State = to
	return r
}
