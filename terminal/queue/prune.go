package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Retention limits.
const (
	// DefaultKeepSettled is how long final records are kept when the config does not say
	// (queue.keep_settled): a month of receipts to reprint and look up.
	DefaultKeepSettled = 30 * 24 * time.Hour
	// PruneBatch bounds the records (or seen codes) examined and deleted in one transaction, so a
	// sale waiting for the queue file is never held up by pruning for more than one short commit.
	PruneBatch = 1000
	// SeenExpiryGrace is how long a seen code is kept after its credential expired. Offline approval
	// refuses an expired credential by the terminal's clock; the grace keeps the entry through a clock
	// that is set back (an RTC reset corrected later, a time-zone mistake) by up to a day.
	SeenExpiryGrace = 24 * time.Hour
)

// ErrBadRetention: PruneOptions.KeepSettled is not a positive duration.
var ErrBadRetention = errors.New("queue: retention period must be positive")

// PruneOptions says what Prune removes.
type PruneOptions struct {
	// KeepSettled is how long a final record is kept after its last change.
	KeepSettled time.Duration
	// Now is the terminal clock's time.
	Now time.Time
	// DryRun counts what would be removed and removes nothing.
	DryRun bool
	// Logger gets one line with the counts (never a record's content); nil: no log.
	Logger *slog.Logger
}

// PruneResult counts what Prune removed (or, with DryRun, would remove).
type PruneResult struct {
	DryRun bool `json:"dry_run"`
	// Records removed, in total and by state.
	Records int           `json:"records"`
	ByState map[State]int `json:"by_state,omitempty"`
	// SeenCodes removed from the seen-codes list.
	SeenCodes int `json:"seen_codes"`
	// HeldRefused counts refused items past the retention period that are kept because a technician
	// has not acted on them yet (posagent queue list --state refused).
	HeldRefused int `json:"held_refused"`
}

// Prune removes what can no longer matter, in transactions of at most PruneBatch deletions:
//
//   - a record whose state is final (settled, approved online, declined, cancelled) and whose last
//     change is older than KeepSettled, unless it is a sale whose void is still queued or refused.
//     Waiting, sending, queued and refused records are never removed;
//   - a seen code whose credential expired more than SeenExpiryGrace ago; an entry without a stored
//     expiry (written by an older posagent) once its sale is older than KeepSettled or is gone.
//
// The sequence is untouched (it lives in its own counter), so ids are never reused.
func Prune(ctx context.Context, s Store, opt PruneOptions) (PruneResult, error) {
	res := PruneResult{DryRun: opt.DryRun, ByState: map[State]int{}}
	if opt.KeepSettled <= 0 {
		return res, fmt.Errorf("%w: %s", ErrBadRetention, opt.KeepSettled)
	}
	p := pruner{s: s, opt: opt, cutoff: opt.Now.Add(-opt.KeepSettled)}
	if err := p.records(ctx, &res); err != nil {
		return res, err
	}
	if err := p.seen(ctx, &res); err != nil {
		return res, err
	}
	if opt.Logger != nil && !opt.DryRun && (res.Records > 0 || res.SeenCodes > 0) {
		opt.Logger.Info("queue pruned", "records", res.Records, "settled", res.ByState[StateSettled],
			"approved", res.ByState[StateApproved], "declined", res.ByState[StateDeclined],
			"cancelled", res.ByState[StateCancelled], "seen_codes", res.SeenCodes,
			"held_refused", res.HeldRefused, "keep_settled", opt.KeepSettled.String())
	}
	return res, nil
}

type pruner struct {
	s      Store
	opt    PruneOptions
	cutoff time.Time
}

// apply runs fn to delete (an Update) or, for a dry run, only to count (a View).
func (p *pruner) apply(ctx context.Context, fn func(Tx) error) error {
	if p.opt.DryRun {
		return p.s.View(ctx, fn)
	}
	return p.s.Update(ctx, fn)
}

func (p *pruner) old(t time.Time) bool { return t.Before(p.cutoff) }

// recordPrunable decides on r. Prune asks twice: in the read transaction that lists a page, and
// again in the transaction that deletes, so a record that changed in between is judged as it is now
// and a page with nothing to remove costs no write.
func (p *pruner) recordPrunable(tx Tx, r Record) (bool, error) {
	if !r.State.Final() || !p.old(r.LastChange()) {
		return false, nil
	}
	if r.VoidTxnID != "" {
		// Keep the sale while its void is unfinished: a technician looking at a stuck void needs the
		// sale it cancels.
		v, err := tx.Get(r.VoidTxnID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return false, err
		case !v.State.Final():
			return false, nil
		}
	}
	return true, nil
}

func (p *pruner) records(ctx context.Context, res *PruneResult) error {
	var after uint64
	for {
		var page []Record
		var candidates []string
		err := p.s.View(ctx, func(tx Tx) error {
			var err error
			if page, err = tx.Scan(after, PruneBatch); err != nil {
				return err
			}
			for _, r := range page {
				if r.State == StateRefused && p.old(r.LastChange()) {
					res.HeldRefused++
				}
				ok, err := p.recordPrunable(tx, r)
				if err != nil {
					return err
				}
				if ok {
					candidates = append(candidates, r.TxnID)
				}
			}
			return nil
		})
		if err != nil || len(page) == 0 {
			return err
		}
		after = page[len(page)-1].Seq
		if len(candidates) == 0 {
			continue
		}
		var byState map[State]int
		err = p.apply(ctx, func(tx Tx) error {
			byState = map[State]int{}
			for _, id := range candidates {
				r, err := tx.Get(id)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				ok, err := p.recordPrunable(tx, r)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if !p.opt.DryRun {
					if err := tx.Delete(id); err != nil {
						return err
					}
				}
				byState[r.State]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for st, n := range byState {
			res.ByState[st] += n
			res.Records += n
		}
	}
}

// seenPrunable decides on one seen-code entry inside the deleting transaction.
func (p *pruner) seenPrunable(tx Tx, e SeenCode) (bool, error) {
	switch {
	case e.TxnID == "":
		return false, nil // unreadable entry: keep the code blocked
	case !e.Expires.IsZero():
		return !p.opt.Now.Before(e.Expires.Add(SeenExpiryGrace)), nil
	}
	// No stored expiry: age the entry with its sale. Records are only ever removed by Prune, after
	// KeepSettled, so a missing sale is an old one.
	r, err := tx.Get(e.TxnID)
	if errors.Is(err, ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return p.old(r.LastChange()), nil
}

func (p *pruner) seen(ctx context.Context, res *PruneResult) error {
	var after string
	for {
		var page, candidates []SeenCode
		err := p.s.View(ctx, func(tx Tx) error {
			var err error
			if page, err = tx.SeenCodes(after, PruneBatch); err != nil {
				return err
			}
			for _, e := range page {
				ok, err := p.seenPrunable(tx, e)
				if err != nil {
					return err
				}
				if ok {
					candidates = append(candidates, e)
				}
			}
			return nil
		})
		if err != nil || len(page) == 0 {
			return err
		}
		after = page[len(page)-1].Key
		if len(candidates) == 0 {
			continue
		}
		var n int
		err = p.apply(ctx, func(tx Tx) error {
			n = 0
			for _, e := range candidates {
				ok, err := p.seenPrunable(tx, e)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if !p.opt.DryRun {
					if err := tx.ForgetSeen(e.Key); err != nil {
						return err
					}
				}
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.SeenCodes += n
	}
}
