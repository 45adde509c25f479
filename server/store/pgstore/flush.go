package pgstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Multi-row writes: each statement takes one array per column and unnests them, so a group's writes
// cost the same few statements whatever its size.
const (
	insertNoncesSQL = `INSERT INTO nonces (terminal_id, nonce, expires_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])`
	setBalancesSQL = `UPDATE accounts SET balance = v.balance
		FROM unnest($1::text[], $2::bigint[]) AS v(id, balance) WHERE accounts.id = v.id`
	insertTxnsSQL = `INSERT INTO txns (` + txnCols + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::boolean[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[],
			$16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::timestamptz[], $22::timestamptz[],
			$23::bigint[], $24::bytea[], $25::boolean[], $26::bigint[], $27::text[], $28::timestamptz[])`
	updateTxnsSQL = `UPDATE txns SET refunded_minor = v.refunded, voided_by = v.voided_by, voided_at = v.voided_at
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[]) AS v(terminal_id, txn_id, refunded, voided_by, voided_at)
		WHERE txns.terminal_id = v.terminal_id AND txns.terminal_txn_id = v.txn_id`
	updateAuthsSQL = `UPDATE authorizations SET used_codes = v.used, replayed_codes = v.replayed,
			released_minor = v.released, hold_closed_at = v.closed
		FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::timestamptz[]) AS v(id, used, replayed, released, closed)
		WHERE authorizations.id = v.id`
	insertUsedSQL = `INSERT INTO used_codes (` + usedCodeCols + `)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[])`
	upsertFailuresSQL = `INSERT INTO code_failures (kind, id, times, day, day_count, last_at)
		SELECT v.kind, v.id, v.times::jsonb, v.day, v.day_count, v.last_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) AS v(kind, id, times, day, day_count, last_at)
		ON CONFLICT (kind, id) DO UPDATE SET times = excluded.times, day = excluded.day,
			day_count = excluded.day_count, last_at = excluded.last_at`
)

// queueWrites queues everything the snapshot changed onto b, in an order that respects no constraint
// (there are no foreign keys among these tables) but reads well in a trace.
func (s *snapshot) queueWrites(b *pgx.Batch) error {
	if err := s.queueRedemptions(b); err != nil {
		return err
	}
	if len(s.nonces) > 0 {
		var term, nonce []string
		var exp []pgtype.Timestamptz
		for _, n := range s.nonces {
			term, nonce, exp = append(term, n.TerminalID), append(nonce, n.Nonce), append(exp, ts(n.ExpiresAt))
		}
		b.Queue(insertNoncesSQL, term, nonce, exp)
	}
	if len(s.dirtyBalances) > 0 {
		bals := make([]int64, len(s.dirtyBalances))
		for i, id := range s.dirtyBalances {
			bals[i] = *s.balances[id]
		}
		b.Queue(setBalancesSQL, s.dirtyBalances, bals)
	}
	var ent entryRows
	for _, e := range s.entries {
		ent.add(*e)
	}
	ent.queue(b)
	if len(s.newTxns) > 0 {
		var r txnRows
		for _, t := range s.newTxns {
			r.add(t)
		}
		r.queue(b)
	}
	if len(s.updatedTxns) > 0 {
		n := len(s.updatedTxns)
		term, id, voidedBy := make([]string, n), make([]string, n), make([]string, n)
		refunded := make([]int64, n)
		voidedAt := make([]pgtype.Timestamptz, n)
		for i, k := range s.updatedTxns {
			t := s.txns[k]
			term[i], id[i], refunded[i], voidedBy[i], voidedAt[i] = k.TerminalID, k.TerminalTxnID, t.RefundedMinor, t.VoidedBy, ts(t.VoidedAt)
		}
		b.Queue(updateTxnsSQL, term, id, refunded, voidedBy, voidedAt)
	}
	if len(s.dirtyAuths) > 0 {
		n := len(s.dirtyAuths)
		used, replayed := make([]int32, n), make([]int32, n)
		released := make([]int64, n)
		closed := make([]pgtype.Timestamptz, n)
		for i, id := range s.dirtyAuths {
			a := s.auths[id]
			used[i], replayed[i], released[i], closed[i] = int32(a.UsedCodes), int32(a.ReplayedCodes), a.ReleasedMinor, ts(a.HoldClosedAt)
		}
		b.Queue(updateAuthsSQL, s.dirtyAuths, used, replayed, released, closed)
	}
	if len(s.newUsed) > 0 {
		n := len(s.newUsed)
		auth, term, txn := make([]string, n), make([]string, n), make([]string, n)
		counter := make([]int64, n)
		at := make([]pgtype.Timestamptz, n)
		for i, u := range s.newUsed {
			auth[i], counter[i], term[i], txn[i], at[i] = u.AuthorizationID, int64(u.Counter), u.TerminalID, u.TerminalTxnID, ts(u.At)
		}
		b.Queue(insertUsedSQL, auth, counter, term, txn, at)
	}
	if len(s.dirtyFail) > 0 {
		n := len(s.dirtyFail)
		kind, id, times, day := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		count := make([]int32, n)
		last := make([]pgtype.Timestamptz, n)
		for i, sub := range s.dirtyFail {
			f := s.failures[sub]
			raw, err := json.Marshal(f.Times)
			if err != nil {
				return fmt.Errorf("pgstore: encode failure times: %w", err)
			}
			kind[i], id[i], times[i], day[i], count[i] = string(sub.Kind), sub.ID, string(raw), f.Day, int32(f.DayCount)
			last[i] = ts(lastFailure(*f))
		}
		b.Queue(upsertFailuresSQL, kind, id, times, day, count, last)
	}
	return nil
}

// lastFailure is the newest failure time of f; when it keeps no times (an imported record), the last
// moment of its counted day, so that Sweep forgets it once that day is over.
func lastFailure(f store.Failures) time.Time {
	if n := len(f.Times); n > 0 {
		return ledger.Norm(f.Times[n-1])
	}
	if d, err := time.Parse(time.DateOnly, f.Day); err == nil {
		return d.Add(24*time.Hour - time.Microsecond)
	}
	return time.Unix(0, 0).UTC()
}

// txnRows collects txns for one multi-row insert.
type txnRows struct {
	terminal, txnID, kind, status, code, message, currency, merchant, user, account, auth, target, reference,
	approvalID, approvalCode, keyID, voidedBy []string
	seq, amount, counter, entryID, refunded []int64
	offline, tombstone                      []bool
	approvedAt, settledAt, voidedAt         []pgtype.Timestamptz
	requestHash                             [][]byte
}

func (r *txnRows) add(t *store.Txn) {
	r.terminal = append(r.terminal, t.Key.TerminalID)
	r.txnID = append(r.txnID, t.Key.TerminalTxnID)
	r.seq = append(r.seq, int64(t.Seq))
	r.kind = append(r.kind, string(t.Kind))
	r.status = append(r.status, string(t.Status))
	r.code = append(r.code, string(t.Code))
	r.message = append(r.message, t.Message)
	r.offline = append(r.offline, t.Offline)
	r.amount = append(r.amount, t.Amount.Minor)
	r.currency = append(r.currency, t.Amount.Currency)
	r.merchant = append(r.merchant, t.MerchantID)
	r.user = append(r.user, t.UserID)
	r.account = append(r.account, t.AccountID)
	r.auth = append(r.auth, t.AuthorizationID)
	r.counter = append(r.counter, int64(t.CodeCounter))
	r.target = append(r.target, t.TargetTxnID)
	r.reference = append(r.reference, t.Reference)
	r.approvalID = append(r.approvalID, t.ApprovalID)
	r.approvalCode = append(r.approvalCode, t.ApprovalCode)
	r.keyID = append(r.keyID, t.KeyID)
	r.approvedAt = append(r.approvedAt, ts(t.ApprovedAt))
	r.settledAt = append(r.settledAt, ts(t.SettledAt))
	r.entryID = append(r.entryID, int64(t.EntryID))
	r.requestHash = append(r.requestHash, t.RequestHash)
	r.tombstone = append(r.tombstone, t.Tombstone)
	r.refunded = append(r.refunded, t.RefundedMinor)
	r.voidedBy = append(r.voidedBy, t.VoidedBy)
	r.voidedAt = append(r.voidedAt, ts(t.VoidedAt))
}

func (r *txnRows) args() []any {
	return []any{r.terminal, r.txnID, r.seq, r.kind, r.status, r.code, r.message, r.offline, r.amount, r.currency,
		r.merchant, r.user, r.account, r.auth, r.counter, r.target, r.reference, r.approvalID, r.approvalCode,
		r.keyID, r.approvedAt, r.settledAt, r.entryID, r.requestHash, r.tombstone, r.refunded, r.voidedBy, r.voidedAt}
}

func (r *txnRows) queue(b *pgx.Batch) { b.Queue(insertTxnsSQL, r.args()...) }
