// Package queuetest helps tests of the layers above terminal/queue set up a queue: Put stores a
// record in any state by the legal moves that lead there (queue.Path), as Put's state machine check
// requires.
package queuetest

import (
	"fmt"

	"github.com/stillpay/stillpay/terminal/queue"
)

// Put stores r (new) in r.State, moving it through every state queue.Path gives on the way.
func Put(tx queue.Tx, r queue.Record) error {
	path := queue.Path(r.State)
	if path == nil {
		return fmt.Errorf("queuetest: no record can reach state %q", r.State)
	}
	for _, st := range path {
		step := r
		step.State = st
		if err := tx.Put(step); err != nil {
			return err
		}
	}
	return nil
}
