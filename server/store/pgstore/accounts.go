package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func insertAccount(ctx context.Context, q execer, a store.Account) error {
	_, err := q.Exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ID, string(a.Kind), a.Currency, a.OwnerID, a.Balance, ts(a.CreatedAt))
	if sqlState(err) == sqlUniqueViolation {
		return fmt.Errorf("%w: account %s", store.ErrExists, a.ID)
	}
	return err
}

// ensureSystemAccount creates the currency's system account on first use.
func ensureSystemAccount(ctx context.Context, q querier, currency string, at time.Time) (string, error) {
	id := store.SystemAccountID(currency)
	_, err := q.Exec(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES ($1, $2, $3, '', 0, $4) ON CONFLICT (id) DO NOTHING`,
		id, string(store.AccountSystem), currency, ts(at))
	return id, err
}

func (s *engine) CreateAccount(ctx context.Context, a store.Account, opening int64, at time.Time) (store.Account, error) {
	a.Balance = opening // the front checked a and opening (ledger.PrepareAccount)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1`, a.OwnerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: user %q", store.ErrNotFound, a.OwnerID)
		}
		if err := insertAccount(ctx, tx, store.Account{ID: a.ID, Kind: a.Kind, Currency: a.Currency, OwnerID: a.OwnerID, CreatedAt: at}); err != nil {
			return err
		}
		if opening == 0 {
			return nil
		}
		sys, err := ensureSystemAccount(ctx, tx, a.Currency, at)
		if err != nil {
			return err
		}
		return appendEntry(ctx, tx, &store.Entry{Kind: store.EntryOpening, Currency: a.Currency, Ref: a.ID, At: at,
			Legs: []store.Leg{{AccountID: sys, Delta: -opening}, {AccountID: a.ID, Delta: opening}}})
	})
	if err != nil {
		return store.Account{}, err
	}
	return a, nil
}

// appendEntry gives e the next entry id, stores it and applies its legs to the balances: the path of
// the single-record writes (openings, holds). Payments go through the group writer's bulk statements.
func appendEntry(ctx context.Context, q querier, e *store.Entry) error {
	if err := q.QueryRow(ctx, `SELECT nextval('entry_ids')`).Scan(&e.ID); err != nil {
		return err
	}
	e.At = ledger.Norm(e.At)
	var ent entryRows
	ent.add(*e)
	if err := ent.insert(ctx, q); err != nil {
		return err
	}
	ids, deltas := make([]string, len(e.Legs)), make([]int64, len(e.Legs))
	for i, l := range e.Legs {
		ids[i], deltas[i] = l.AccountID, l.Delta
	}
	tag, err := q.Exec(ctx, `UPDATE accounts SET balance = accounts.balance + v.delta
		FROM (SELECT id, sum(delta)::bigint AS delta FROM unnest($1::text[], $2::bigint[]) AS l(id, delta) GROUP BY id) AS v
		WHERE accounts.id = v.id`, ids, deltas)
	if err != nil {
		return err
	}
	if distinct := countDistinct(ids); int(tag.RowsAffected()) != distinct {
		return fmt.Errorf("%w: entry %d moves money of an unknown account", store.ErrNotFound, e.ID)
	}
	return nil
}

func countDistinct(ids []string) int {
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		seen[id] = struct{}{}
	}
	return len(seen)
}

// entryRows collects journal entries for one multi-row insert of entries and one of their legs.
type entryRows struct {
	id                  []int64
	kind, currency, ref []string
	at                  []pgtype.Timestamptz

	legEntry   []int64
	legIdx     []int32
	legAccount []string
	legDelta   []int64
}

func (r *entryRows) add(e store.Entry) {
	r.id = append(r.id, int64(e.ID))
	r.kind = append(r.kind, string(e.Kind))
	r.currency = append(r.currency, e.Currency)
	r.ref = append(r.ref, e.Ref)
	r.at = append(r.at, ts(e.At))
	for i, l := range e.Legs {
		r.legEntry = append(r.legEntry, int64(e.ID))
		r.legIdx = append(r.legIdx, int32(i))
		r.legAccount = append(r.legAccount, l.AccountID)
		r.legDelta = append(r.legDelta, l.Delta)
	}
}

const (
	insertEntriesSQL = `INSERT INTO entries (id, kind, currency, ref, at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])`
	insertLegsSQL = `INSERT INTO entry_legs (entry_id, idx, account_id, delta)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[])`
)

func (r *entryRows) insert(ctx context.Context, q execer) error {
	if len(r.id) == 0 {
		return nil
	}
	if _, err := q.Exec(ctx, insertEntriesSQL, r.id, r.kind, r.currency, r.ref, r.at); err != nil {
		return entryExists(err)
	}
	_, err := q.Exec(ctx, insertLegsSQL, r.legEntry, r.legIdx, r.legAccount, r.legDelta)
	return err
}

func (r *entryRows) queue(b *pgx.Batch) {
	if len(r.id) == 0 {
		return
	}
	b.Queue(insertEntriesSQL, r.id, r.kind, r.currency, r.ref, r.at)
	b.Queue(insertLegsSQL, r.legEntry, r.legIdx, r.legAccount, r.legDelta)
}

func entryExists(err error) error {
	if sqlState(err) == sqlUniqueViolation {
		return fmt.Errorf("%w: journal entry", store.ErrExists)
	}
	return err
}

func (s *engine) GetAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	return a, notFound(err, "account "+id)
}

func (s *engine) ListAccounts(ctx context.Context, f store.AccountFilter) ([]store.Account, error) {
	q := `SELECT ` + accountCols + ` FROM accounts WHERE id > $1`
	args := []any{f.AfterID}
	if f.OwnerID != "" {
		args = append(args, f.OwnerID)
		q += fmt.Sprintf(" AND owner_id = $%d", len(args))
	}
	if f.Kind != "" {
		args = append(args, string(f.Kind))
		q += fmt.Sprintf(" AND kind = $%d", len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanAccount)
	return out, mapErr(err)
}

func (s *engine) ListEntries(ctx context.Context, f store.EntryFilter) ([]store.Entry, error) {
	var out []store.Entry
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = readEntries(ctx, tx, f.AfterID, f.Limit)
		return err
	})
	return out, err
}

// readEntries reads up to n entries with ids above after, oldest first, with their legs.
func readEntries(ctx context.Context, q querier, after uint64, n int) ([]store.Entry, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.kind, e.currency, e.ref, e.at, l.account_id, l.delta
		FROM (SELECT * FROM entries WHERE id > $1 ORDER BY id LIMIT $2) AS e
		JOIN entry_legs AS l ON l.entry_id = e.id
		ORDER BY e.id, l.idx`, int64(after), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Entry
	for rows.Next() {
		var id int64
		var kind, cur, ref, acct string
		var at pgtype.Timestamptz
		var delta int64
		if err := rows.Scan(&id, &kind, &cur, &ref, &at, &acct, &delta); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != uint64(id) {
			out = append(out, store.Entry{ID: uint64(id), Kind: store.EntryKind(kind), Currency: cur, Ref: ref, At: fromTS(at)})
		}
		e := &out[len(out)-1]
		e.Legs = append(e.Legs, store.Leg{AccountID: acct, Delta: delta})
	}
	return out, rows.Err()
}
