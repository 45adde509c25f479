package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// sweepLimit bounds the holds, nonces and sessions one Sweep handles, so that its transactions stay
// short; Sweep reports More when it stopped at the limit.
const sweepLimit = 2000

// failureMemory is how long a subject's failures are kept after its last one (ledger keeps a day of
// times for sliding windows; the daily count ends with the day).
const failureMemory = 24 * time.Hour

func (s *engine) Sweep(ctx context.Context, now time.Time, grace time.Duration) (store.SweepReport, error) {
	rep := store.SweepReport{ReleasedMinor: map[string]int64{}}
	if err := s.sweepHolds(ctx, now, grace, &rep); err != nil {
		return store.SweepReport{}, err
	}
	n, err := s.deleteExpired(ctx, `nonces`, `terminal_id, nonce`, now)
	if err != nil {
		return store.SweepReport{}, err
	}
	rep.NoncesDeleted = n
	n, err = s.deleteExpired(ctx, `sessions`, `token_hash`, now)
	if err != nil {
		return store.SweepReport{}, err
	}
	rep.SessionsDeleted = n
	rep.More = rep.More || rep.NoncesDeleted == sweepLimit || rep.SessionsDeleted == sweepLimit
	if _, err := s.pool.Exec(ctx, `DELETE FROM code_failures WHERE last_at < $1`, ts(now.Add(-failureMemory))); err != nil {
		return store.SweepReport{}, mapErr(err)
	}
	return rep, nil
}

// sweepHolds releases the unused hold of authorizations closed (expired or revoked) before now − grace,
// one journal entry each, all in one transaction.
func (s *engine) sweepHolds(ctx context.Context, now time.Time, grace time.Duration, rep *store.SweepReport) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		*rep = store.SweepReport{ReleasedMinor: map[string]int64{}}
		rows, err := tx.Query(ctx, `SELECT `+authCols+` FROM authorizations
			WHERE hold_closed_at IS NULL AND closes_at <= $1 ORDER BY closes_at, id LIMIT $2`, ts(now.Add(-grace)), sweepLimit+1)
		if err != nil {
			return err
		}
		due, err := collect(rows, scanAuthorization)
		if err != nil {
			return err
		}
		if len(due) > sweepLimit {
			due, rep.More = due[:sweepLimit], true
		}
		snap := newSnapshot(ctx, tx)
		var holds []string
		for _, a := range due {
			snap.auths[a.ID] = &a
			holds = append(holds, a.HoldAccountID)
		}
		if err := snap.load(keySet{accounts: holds}, false); err != nil {
			return err
		}
		for _, a := range due {
			if now.Before(ledger.ClosesAt(a).Add(grace)) {
				continue // the same microsecond as the cut but not yet due
			}
			bal, err := snap.Balance(a.HoldAccountID)
			if err != nil {
				return err
			}
			if e := ledger.ReleaseEntry(a, bal, now); e != nil {
				if err := snap.AppendEntry(e); err != nil {
					return err
				}
				a.ReleasedMinor += bal
				rep.ReleasedMinor[a.Currency] += bal
			}
			a.HoldClosedAt = now
			if err := snap.PutAuthorization(a); err != nil {
				return err
			}
			rep.HoldsReleased++
		}
		if err := snap.assignIDs(); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if err := snap.queueWrites(b); err != nil {
			return err
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// deleteExpired deletes up to sweepLimit rows of table whose expires_at is at or before now
// (PostgreSQL has no DELETE ... LIMIT: a key subquery bounds it).
// table and key are constants of this package, never input.
func (s *engine) deleteExpired(ctx context.Context, table, key string, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+table+` WHERE (`+key+`) IN (
		SELECT `+key+` FROM `+table+` WHERE expires_at <= $1 LIMIT $2)`, ts(now), sweepLimit)
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}
