package boltstore

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// sweepLimit bounds the holds, nonces and sessions one Sweep handles, so that it never holds the writer
// long; Sweep reports More when it stopped at the limit.
const sweepLimit = 2000

func (s *engine) Sweep(ctx context.Context, now time.Time, grace time.Duration) (store.SweepReport, error) {
	var rep store.SweepReport
	err := s.w.do(ctx, sweepLimit, func(tx *bolt.Tx) error {
		rep = store.SweepReport{ReleasedMinor: map[string]int64{}}
		if err := sweepHolds(tx, now, grace, &rep); err != nil {
			return err
		}
		if err := sweepNonces(tx, now, &rep); err != nil {
			return err
		}
		if err := sweepSessions(tx, now, &rep); err != nil {
			return err
		}
		return sweepFailures(tx, now)
	})
	if err != nil {
		// do may return (ctx ended) while the writer still runs fn: rep is not ours to read then.
		return store.SweepReport{}, err
	}
	return rep, nil
}

func sweepHolds(tx *bolt.Tx, now time.Time, grace time.Duration, rep *store.SweepReport) error {
	due := timeKey(now.Add(-grace))
	var keys [][]byte
	c := tx.Bucket(bktAuthOpen).Cursor()
	for k, _ := c.First(); k != nil && string(k[:8]) <= string(due); k, _ = c.Next() {
		if len(keys) == sweepLimit {
			rep.More = true
			break
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	t := ltx{tx: tx}
	for _, k := range keys {
		id := string(k[8:])
		a, err := t.Authorization(id)
		if err != nil {
			return abort(err)
		}
		if now.Before(ledger.ClosesAt(a).Add(grace)) {
			continue // same microsecond as the cut but not yet due
		}
		bal, err := t.Balance(a.HoldAccountID)
		if err != nil {
			return abort(err)
		}
		if e := ledger.ReleaseEntry(a, bal, now); e != nil {
			if err := t.AppendEntry(e); err != nil {
				return err
			}
			a.ReleasedMinor += bal
			rep.ReleasedMinor[a.Currency] += bal
		}
		a.HoldClosedAt = now
		if err := t.PutAuthorization(a); err != nil {
			return err
		}
		if err := abort(tx.Bucket(bktAuthOpen).Delete(k)); err != nil {
			return err
		}
		rep.HoldsReleased++
	}
	return nil
}

func sweepNonces(tx *bolt.Tx, now time.Time, rep *store.SweepReport) error {
	due := timeKey(now)
	var keys [][]byte
	c := tx.Bucket(bktNonceByExpiry).Cursor()
	for k, _ := c.First(); k != nil && string(k[:8]) <= string(due); k, _ = c.Next() {
		if len(keys) == sweepLimit {
			rep.More = true
			break
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		// Only stores written before the current layout have it here too (useNonce); deleting an
		// absent key writes nothing.
		if err := abort(tx.Bucket(bktNonces).Delete(k[8:])); err != nil {
			return err
		}
		if err := abort(tx.Bucket(bktNonceByExpiry).Delete(k)); err != nil {
			return err
		}
		rep.NoncesDeleted++
	}
	return nil
}

func sweepSessions(tx *bolt.Tx, now time.Time, rep *store.SweepReport) error {
	var keys [][]byte
	err := tx.Bucket(bktSessions).ForEach(func(k, v []byte) error {
		var ss store.Session
		if err := getJSONRaw(v, "session", &ss); err != nil {
			return abort(err)
		}
		if !now.Before(ss.ExpiresAt) && len(keys) < sweepLimit {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := abort(tx.Bucket(bktSessions).Delete(k)); err != nil {
			return err
		}
		rep.SessionsDeleted++
	}
	return nil
}

// sweepFailures forgets failure times older than a day, and subjects with nothing left to count.
func sweepFailures(tx *bolt.Tx, now time.Time) error {
	type update struct {
		k []byte
		f *store.Failures
	}
	var ups []update
	err := tx.Bucket(bktFailures).ForEach(func(k, v []byte) error {
		var f store.Failures
		if err := getJSONRaw(v, "failures", &f); err != nil {
			return abort(err)
		}
		n := len(f.Times)
		ledger.PruneFailures(&f, now)
		c := ledger.CountFailures(f, now, now)
		switch {
		case len(f.Times) == 0 && c.Today == 0:
			ups = append(ups, update{append([]byte(nil), k...), nil})
		case len(f.Times) != n:
			ups = append(ups, update{append([]byte(nil), k...), &f})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range ups {
		if u.f == nil {
			err = abort(tx.Bucket(bktFailures).Delete(u.k))
		} else {
			err = putJSON(tx.Bucket(bktFailures), u.k, u.f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
