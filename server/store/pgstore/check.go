package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Check verifies, from one snapshot, the ledger invariants (ledger.Checker: balances per currency sum
// to zero, entries balance, no negative non-system balance, balances equal their journal legs, holds
// equal what authorizations leave unreleased, used codes ≤ MaxCodes) and the consistency the schema
// cannot declare: legs of missing entries, stale sweep ordering, txns pointing at missing entries.
func (s *engine) Check(ctx context.Context) (store.Report, error) {
	c := ledger.NewChecker()
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		c = ledger.NewChecker() // a retried snapshot starts over
		rows, err := tx.Query(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id`)
		if err != nil {
			return err
		}
		accts, err := collect(rows, scanAccount)
		if err != nil {
			return err
		}
		for _, a := range accts {
			c.Account(a)
		}
		if err := checkEntries(ctx, tx, c); err != nil {
			return err
		}
		if err := feed(ctx, tx, `SELECT `+authCols+` FROM authorizations ORDER BY id`, scanAuthorization, c.Authorization); err != nil {
			return err
		}
		if err := feed(ctx, tx, `SELECT `+usedCodeCols+` FROM used_codes ORDER BY authorization_id, counter`, scanUsedCode, c.UsedCode); err != nil {
			return err
		}
		if err := feed(ctx, tx, `SELECT `+txnCols+` FROM txns ORDER BY seq`, scanTxn, c.Txn); err != nil {
			return err
		}
		if err := feed(ctx, tx, `SELECT record FROM orders ORDER BY id`, scanOrder, c.Order); err != nil {
			return err
		}
		return checkIndexes(ctx, tx, c)
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("pgstore: check: %w", err)
	}
	return c.Finish()
}

// feed streams a query's rows into a checker method.
func feed[T any](ctx context.Context, tx pgx.Tx, sql string, scan func(pgx.Row) (T, error), fn func(T)) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

// checkEntries streams the journal with its legs; an entry without legs reaches the checker with none.
func checkEntries(ctx context.Context, tx pgx.Tx, c *ledger.Checker) error {
	rows, err := tx.Query(ctx, `SELECT e.id, e.kind, e.currency, e.ref, e.at, l.account_id, l.delta
		FROM entries AS e LEFT JOIN entry_legs AS l ON l.entry_id = e.id ORDER BY e.id, l.idx`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *store.Entry
	for rows.Next() {
		var id int64
		var kind, currency, ref string
		var at pgtype.Timestamptz
		var acct pgtype.Text
		var delta pgtype.Int8
		if err := rows.Scan(&id, &kind, &currency, &ref, &at, &acct, &delta); err != nil {
			return err
		}
		if cur == nil || cur.ID != uint64(id) {
			if cur != nil {
				c.Entry(*cur)
			}
			cur = &store.Entry{ID: uint64(id), Kind: store.EntryKind(kind), Currency: currency, Ref: ref, At: fromTS(at)}
		}
		if acct.Valid {
			cur.Legs = append(cur.Legs, store.Leg{AccountID: acct.String, Delta: delta.Int64})
		}
	}
	if cur != nil {
		c.Entry(*cur)
	}
	return rows.Err()
}

// checkIndexes reports what the constraints do not cover.
func checkIndexes(ctx context.Context, tx pgx.Tx, c *ledger.Checker) error {
	probes := []struct {
		sql, problem string
	}{
		{`SELECT count(*) FROM entry_legs AS l LEFT JOIN entries AS e ON e.id = l.entry_id WHERE e.id IS NULL`,
			"%d journal legs belong to no entry"},
		{`SELECT count(*) FROM authorizations
			WHERE closes_at <> CASE WHEN revoked_at IS NOT NULL AND revoked_at < expires_at THEN revoked_at ELSE expires_at END`,
			"%d authorizations are filed for sweeping at the wrong time"},
		{`SELECT count(*) FROM txns AS t LEFT JOIN entries AS e ON e.id = t.entry_id WHERE t.entry_id <> 0 AND e.id IS NULL`,
			"%d txns name a journal entry that does not exist"},
		{`SELECT count(*) FROM terminals AS t LEFT JOIN merchants AS m ON m.id = t.merchant_id WHERE m.id IS NULL`,
			"%d terminals belong to no merchant"},
	}
	for _, p := range probes {
		var n int
		if err := tx.QueryRow(ctx, p.sql).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			c.Problem(p.problem, n)
		}
	}
	return nil
}
