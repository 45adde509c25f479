package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) Export(ctx context.Context, fn func(store.Record) error) error {
	return s.readTx(ctx, func(tx pgx.Tx) error {
		steps := []func() error{
			func() error {
				return export(ctx, tx, `SELECT `+merchantCols+` FROM merchants ORDER BY id`, scanMerchant,
					func(v *store.Merchant) error { return fn(store.Record{Merchant: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+userCols+` FROM users ORDER BY id`, scanUser,
					func(v *store.User) error { return fn(store.Record{User: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+accountCols+` FROM accounts ORDER BY id`, scanAccount,
					func(v *store.Account) error { return fn(store.Record{Account: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+terminalCols+` FROM terminals ORDER BY id`, scanTerminal,
					func(v *store.Terminal) error { return fn(store.Record{Terminal: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+authCols+` FROM authorizations ORDER BY id`, scanAuthorization,
					func(v *store.Authorization) error { return fn(store.Record{Authorization: v}) })
			},
			func() error { return exportEntries(ctx, tx, fn) },
			func() error {
				return export(ctx, tx, `SELECT `+txnCols+` FROM txns ORDER BY terminal_id, terminal_txn_id`, scanTxn,
					func(v *store.Txn) error { return fn(store.Record{Txn: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+usedCodeCols+` FROM used_codes ORDER BY authorization_id, counter`, scanUsedCode,
					func(v *store.UsedCode) error { return fn(store.Record{UsedCode: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT record FROM orders ORDER BY id`, scanOrder,
					func(v *store.Order) error { return fn(store.Record{Order: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+sessionCols+` FROM sessions ORDER BY token_hash`, scanSession,
					func(v *store.Session) error { return fn(store.Record{Session: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+nonceCols+` FROM nonces ORDER BY terminal_id, nonce`, scanNonce,
					func(v *store.Nonce) error { return fn(store.Record{Nonce: v}) })
			},
			func() error {
				return export(ctx, tx, `SELECT `+failureCols+` FROM code_failures ORDER BY kind, id`, scanFailures,
					func(v *store.Failures) error { return fn(store.Record{Failures: v}) })
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
}

// export streams one table through fn, stopping at fn's first error or ctx's end.
func export[T any](ctx context.Context, tx pgx.Tx, sql string, scan func(pgx.Row) (T, error), fn func(*T) error) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// exportPage is how many journal entries Export reads per query (entries are streamed with their legs).
const exportPage = 1000

func exportEntries(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var after uint64
	for {
		page, err := readEntries(ctx, tx, after, exportPage)
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(store.Record{Entry: &page[i]}); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// batchExec queues statements instead of running them: an Import call is one pipelined round trip.
type batchExec struct{ b *pgx.Batch }

func (q batchExec) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	q.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (s *engine) Import(ctx context.Context, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	for i, r := range recs {
		if err := validImport(r); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		q := batchExec{b}
		var ent entryRows
		var txns txnRows
		flushRuns := func() {
			ent.queue(b)
			ent = entryRows{}
			if len(txns.terminal) > 0 {
				txns.queue(b)
				txns = txnRows{}
			}
		}
		for _, r := range recs {
			switch {
			case r.Entry != nil:
				e := *r.Entry
				e.At = ledger.Norm(e.At)
				// Verbatim: balances came with the accounts, so the legs are not applied again.
				ent.add(e)
				continue
			case r.Txn != nil:
				t := *r.Txn
				t.Replayed, t.Err = false, nil
				txns.add(&t)
				continue
			}
			flushRuns()
			var err error
			switch {
			case r.Merchant != nil:
				err = insertMerchant(ctx, q, *r.Merchant)
			case r.User != nil:
				err = insertUser(ctx, q, *r.User)
			case r.Account != nil:
				err = insertAccount(ctx, q, *r.Account)
			case r.Terminal != nil:
				err = insertTerminal(ctx, q, *r.Terminal)
			case r.Authorization != nil:
				err = insertAuthorization(ctx, q, *r.Authorization)
			case r.UsedCode != nil:
				u := *r.UsedCode
				_, err = q.Exec(ctx, `INSERT INTO used_codes (`+usedCodeCols+`) VALUES ($1, $2, $3, $4, $5)`,
					u.AuthorizationID, int64(u.Counter), u.TerminalID, u.TerminalTxnID, ts(u.At))
			case r.Session != nil:
				err = insertSession(ctx, q, *r.Session)
			case r.Nonce != nil:
				n := *r.Nonce
				_, err = q.Exec(ctx, `INSERT INTO nonces (`+nonceCols+`) VALUES ($1, $2, $3)`, n.TerminalID, n.Nonce, ts(n.ExpiresAt))
			case r.Failures != nil:
				err = insertFailures(ctx, q, *r.Failures)
			case r.Order != nil:
				err = insertOrder(ctx, q, *r.Order)
			}
			if err != nil {
				return err
			}
		}
		flushRuns()
		// The sequences continue after the imported numbers.
		b.Queue(`SELECT setval('entry_ids', (SELECT max(id) FROM entries)) WHERE EXISTS (SELECT 1 FROM entries)`)
		b.Queue(`SELECT setval('txn_seqs', (SELECT max(seq) FROM txns)) WHERE EXISTS (SELECT 1 FROM txns)`)
		b.Queue(`SELECT setval('order_seqs', (SELECT max(seq) FROM orders)) WHERE EXISTS (SELECT 1 FROM orders)`)
		return tx.SendBatch(ctx, b).Close()
	})
}

func insertFailures(ctx context.Context, q execer, f store.Failures) error {
	times, err := json.Marshal(f.Times)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO code_failures (kind, id, times, day, day_count, last_at) VALUES ($1, $2, $3::text::jsonb, $4, $5, $6)`,
		string(f.Subject.Kind), f.Subject.ID, string(times), f.Day, f.DayCount, ts(lastFailure(f)))
	return err
}

func validImport(r store.Record) error {
	switch {
	case r.Merchant != nil:
		return prepareErr(ledger.PrepareMerchant(*r.Merchant))
	case r.User != nil:
		return ledger.ValidID("user_id", r.User.ID)
	case r.Account != nil:
		return ledger.ValidCurrency(r.Account.Currency)
	case r.Terminal != nil:
		return ledger.ValidHash("enrollment code hash", r.Terminal.EnrollCodeHash)
	case r.Authorization != nil:
		return ledger.ValidID("authorization_id", r.Authorization.ID)
	case r.Entry != nil:
		if r.Entry.ID == 0 {
			return fmt.Errorf("%w: entry without id", store.ErrInvalidArgument)
		}
		return nil
	case r.Txn != nil:
		if r.Txn.Seq == 0 {
			return fmt.Errorf("%w: txn without seq", store.ErrInvalidArgument)
		}
		return nil
	case r.UsedCode != nil:
		return ledger.ValidID("authorization_id", r.UsedCode.AuthorizationID)
	case r.Session != nil:
		return ledger.ValidHash("token hash", r.Session.TokenHash)
	case r.Nonce != nil:
		return ledger.ValidNonce(*r.Nonce)
	case r.Failures != nil:
		return ledger.ValidSubject(r.Failures.Subject)
	case r.Order != nil:
		return ledger.ValidateStoredOrder(*r.Order)
	}
	return fmt.Errorf("%w: empty record", store.ErrInvalidArgument)
}
