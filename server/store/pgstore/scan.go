package pgstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// ts is a time as a parameter: NULL for the zero time (how the Go types say "not set").
func ts(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: ledger.Norm(t), Valid: !t.IsZero()}
}

// fromTS is a scanned time in the stores' form: UTC, microseconds; zero for NULL.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return ledger.Norm(v.Time)
}

// Column lists and scanners, one per record type, so every query reads a type the same way.

const merchantCols = `id, name, currency, account_id, receipt_header, created_at, mcc`

func scanMerchant(row pgx.Row) (store.Merchant, error) {
	var m store.Merchant
	var header []byte
	var created pgtype.Timestamptz
	if err := row.Scan(&m.ID, &m.Name, &m.Currency, &m.AccountID, &header, &created, &m.MCC); err != nil {
		return m, err
	}
	m.CreatedAt = fromTS(created)
	if err := json.Unmarshal(header, &m.ReceiptHeader); err != nil {
		return m, fmt.Errorf("pgstore: merchant %s: corrupt receipt header: %w", m.ID, err)
	}
	return m, nil
}

const terminalCols = `id, merchant_id, name, state, enroll_code_hash, enroll_expires_at, public_key, hostname, version,
	limits, created_at, enrolled_at, revoked_at`

func scanTerminal(row pgx.Row) (store.Terminal, error) {
	var t store.Terminal
	var limits []byte
	var state string
	var expires, created, enrolled, revoked pgtype.Timestamptz
	if err := row.Scan(&t.ID, &t.MerchantID, &t.Name, &state, &t.EnrollCodeHash, &expires, &t.PublicKey, &t.Hostname,
		&t.Version, &limits, &created, &enrolled, &revoked); err != nil {
		return t, err
	}
	t.State = store.TerminalState(state)
	t.EnrollExpiresAt, t.CreatedAt, t.EnrolledAt, t.RevokedAt = fromTS(expires), fromTS(created), fromTS(enrolled), fromTS(revoked)
	var l protocol.TerminalLimits
	if err := json.Unmarshal(limits, &l); err != nil {
		return t, fmt.Errorf("pgstore: terminal %s: corrupt limits: %w", t.ID, err)
	}
	t.Limits = l
	return t, nil
}

const userCols = `id, name, password_hash, created_at`

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	var created pgtype.Timestamptz
	err := row.Scan(&u.ID, &u.Name, &u.PasswordHash, &created)
	u.CreatedAt = fromTS(created)
	return u, err
}

const sessionCols = `token_hash, user_id, created_at, expires_at`

func scanSession(row pgx.Row) (store.Session, error) {
	var s store.Session
	var created, expires pgtype.Timestamptz
	err := row.Scan(&s.TokenHash, &s.UserID, &created, &expires)
	s.CreatedAt, s.ExpiresAt = fromTS(created), fromTS(expires)
	return s, err
}

const accountCols = `id, kind, currency, owner_id, balance, created_at`

func scanAccount(row pgx.Row) (store.Account, error) {
	var a store.Account
	var kind string
	var created pgtype.Timestamptz
	err := row.Scan(&a.ID, &kind, &a.Currency, &a.OwnerID, &a.Balance, &created)
	a.Kind, a.CreatedAt = store.AccountKind(kind), fromTS(created)
	return a, err
}

const authCols = `id, user_id, account_id, hold_account_id, currency, cap_per_payment, max_codes, hold_minor,
	device_public_key, sealed_secret, credential, key_id, created_at, expires_at, revoked_at, used_codes,
	replayed_codes, released_minor, hold_closed_at`

func scanAuthorization(row pgx.Row) (store.Authorization, error) {
	var a store.Authorization
	var created, expires, revoked, closed pgtype.Timestamptz
	err := row.Scan(&a.ID, &a.UserID, &a.AccountID, &a.HoldAccountID, &a.Currency, &a.CapPerPayment, &a.MaxCodes,
		&a.HoldMinor, &a.DevicePublicKey, &a.SealedSecret, &a.Credential, &a.KeyID, &created, &expires, &revoked,
		&a.UsedCodes, &a.ReplayedCodes, &a.ReleasedMinor, &closed)
	a.CreatedAt, a.ExpiresAt, a.RevokedAt, a.HoldClosedAt = fromTS(created), fromTS(expires), fromTS(revoked), fromTS(closed)
	return a, err
}

const usedCodeCols = `authorization_id, counter, terminal_id, terminal_txn_id, at`

func scanUsedCode(row pgx.Row) (store.UsedCode, error) {
	var u store.UsedCode
	var counter int64
	var at pgtype.Timestamptz
	err := row.Scan(&u.AuthorizationID, &counter, &u.TerminalID, &u.TerminalTxnID, &at)
	u.Counter, u.At = uint64(counter), fromTS(at)
	return u, err
}

const txnCols = `terminal_id, terminal_txn_id, seq, kind, status, code, message, offline, amount_minor, currency,
	merchant_id, user_id, account_id, authorization_id, code_counter, target_txn_id, reference, approval_id,
	approval_code, key_id, approved_at, settled_at, entry_id, request_hash, tombstone, refunded_minor, voided_by,
	voided_at`

func scanTxn(row pgx.Row) (store.Txn, error) {
	var t store.Txn
	var seq, counter, entryID int64
	var kind, status, code string
	var approved, settled, voided pgtype.Timestamptz
	err := row.Scan(&t.Key.TerminalID, &t.Key.TerminalTxnID, &seq, &kind, &status, &code, &t.Message, &t.Offline,
		&t.Amount.Minor, &t.Amount.Currency, &t.MerchantID, &t.UserID, &t.AccountID, &t.AuthorizationID, &counter,
		&t.TargetTxnID, &t.Reference, &t.ApprovalID, &t.ApprovalCode, &t.KeyID, &approved, &settled, &entryID,
		&t.RequestHash, &t.Tombstone, &t.RefundedMinor, &t.VoidedBy, &voided)
	t.Seq, t.CodeCounter, t.EntryID = uint64(seq), uint64(counter), uint64(entryID)
	t.Kind, t.Status, t.Code = store.OpKind(kind), store.OpStatus(status), protocol.Code(code)
	t.ApprovedAt, t.SettledAt, t.VoidedAt = fromTS(approved), fromTS(settled), fromTS(voided)
	return t, err
}

const failureCols = `kind, id, times, day, day_count`

func scanFailures(row pgx.Row) (store.Failures, error) {
	var f store.Failures
	var kind string
	var times []byte
	if err := row.Scan(&kind, &f.Subject.ID, &times, &f.Day, &f.DayCount); err != nil {
		return f, err
	}
	f.Subject.Kind = store.SubjectKind(kind)
	if err := json.Unmarshal(times, &f.Times); err != nil {
		return f, fmt.Errorf("pgstore: failures of %s %s: corrupt times: %w", kind, f.Subject.ID, err)
	}
	for i, t := range f.Times {
		f.Times[i] = ledger.Norm(t)
	}
	return f, nil
}

const nonceCols = `terminal_id, nonce, expires_at`

func scanNonce(row pgx.Row) (store.Nonce, error) {
	var n store.Nonce
	var exp pgtype.Timestamptz
	err := row.Scan(&n.TerminalID, &n.Nonce, &exp)
	n.ExpiresAt = fromTS(exp)
	return n, err
}

// collect runs a query and scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
