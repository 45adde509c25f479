package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// execer runs a statement: the pool, a transaction, or a batch being built (batchExec).
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// notFound maps pgx.ErrNoRows to store.ErrNotFound naming what was looked for.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	return mapErr(err)
}

func (s *engine) CreateMerchant(ctx context.Context, m store.Merchant) (store.Merchant, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertMerchant(ctx, tx, m); err != nil {
			return err
		}
		return insertAccount(ctx, tx, ledger.MerchantAccount(m))
	})
	if err != nil {
		return store.Merchant{}, err
	}
	return m, nil
}

func insertMerchant(ctx context.Context, q execer, m store.Merchant) error {
	header, err := json.Marshal(m.ReceiptHeader)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO merchants (`+merchantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, m.Name, m.Currency, m.AccountID, header, ts(m.CreatedAt), m.MCC)
	if sqlState(err) == sqlUniqueViolation {
		return fmt.Errorf("%w: merchant %s", store.ErrExists, m.ID)
	}
	return err
}

func (s *engine) GetMerchant(ctx context.Context, id string) (store.Merchant, error) {
	m, err := scanMerchant(s.pool.QueryRow(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = $1`, id))
	return m, notFound(err, "merchant "+id)
}

func (s *engine) ListMerchants(ctx context.Context, p store.Page) ([]store.Merchant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id > $1 ORDER BY id LIMIT $2`, p.AfterID, p.Limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanMerchant)
	return out, mapErr(err)
}

func (s *engine) CreateTerminal(ctx context.Context, t store.Terminal) (store.Terminal, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM merchants WHERE id = $1`, t.MerchantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: merchant %q", store.ErrNotFound, t.MerchantID)
		}
		return insertTerminal(ctx, tx, t)
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

func insertTerminal(ctx context.Context, q execer, t store.Terminal) error {
	limits, err := json.Marshal(t.Limits)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO terminals (`+terminalCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		t.ID, t.MerchantID, t.Name, string(t.State), t.EnrollCodeHash, ts(t.EnrollExpiresAt), t.PublicKey, t.Hostname,
		t.Version, limits, ts(t.CreatedAt), ts(t.EnrolledAt), ts(t.RevokedAt))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == sqlUniqueViolation {
		if strings.Contains(pe.ConstraintName, "enroll") {
			return fmt.Errorf("%w: enrollment code hash already in use", store.ErrExists)
		}
		return fmt.Errorf("%w: terminal %s", store.ErrExists, t.ID)
	}
	return err
}

func (s *engine) EnrollTerminal(ctx context.Context, e store.Enrollment) (store.Terminal, error) {
	at := e.At
	var t store.Terminal
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		t, err = scanTerminal(tx.QueryRow(ctx, `SELECT `+terminalCols+` FROM terminals WHERE enroll_code_hash = $1`, e.CodeHash))
		if err != nil {
			return notFound(err, "enrollment code")
		}
		enrolled, changed, err := ledger.Enroll(t, e, at)
		t = enrolled
		if err != nil || !changed {
			return err // !changed: the same terminal retrying an enrollment whose answer it lost
		}
		_, err = tx.Exec(ctx, `UPDATE terminals SET state = $2, public_key = $3, hostname = $4, version = $5, enrolled_at = $6 WHERE id = $1`,
			t.ID, string(t.State), t.PublicKey, t.Hostname, t.Version, ts(t.EnrolledAt))
		return err
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

func (s *engine) GetTerminal(ctx context.Context, id string) (store.Terminal, error) {
	t, ok, err := s.r.terminals.get(ctx, id)
	switch {
	case err != nil:
		return store.Terminal{}, err
	case !ok:
		return store.Terminal{}, fmt.Errorf("%w: terminal %s", store.ErrNotFound, id)
	}
	return t, nil
}

func (s *engine) ListTerminals(ctx context.Context, f store.TerminalFilter) ([]store.Terminal, error) {
	var rows pgx.Rows
	var err error
	if f.MerchantID == "" {
		rows, err = s.pool.Query(ctx, `SELECT `+terminalCols+` FROM terminals WHERE id > $1 ORDER BY id LIMIT $2`, f.AfterID, f.Limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+terminalCols+` FROM terminals WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
			f.MerchantID, f.AfterID, f.Limit)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanTerminal)
	return out, mapErr(err)
}

func (s *engine) ReissueEnrollCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) (store.Terminal, error) {
	var t store.Terminal
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		cur, err := scanTerminal(tx.QueryRow(ctx, `SELECT `+terminalCols+` FROM terminals WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "terminal "+id)
		}
		if t, err = ledger.Reissue(cur, codeHash, expiresAt); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE terminals SET state = $2, enroll_code_hash = $3, enroll_expires_at = $4 WHERE id = $1`,
			id, string(t.State), t.EnrollCodeHash, ts(t.EnrollExpiresAt))
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == sqlUniqueViolation {
			return fmt.Errorf("%w: enrollment code hash already in use", store.ErrExists)
		}
		return err
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

func (s *engine) RevokeTerminal(ctx context.Context, id string, at time.Time) (store.Terminal, error) {
	var t store.Terminal
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		t, err = scanTerminal(tx.QueryRow(ctx, `SELECT `+terminalCols+` FROM terminals WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "terminal "+id)
		}
		if t.State == store.TerminalRevoked {
			return nil
		}
		t.State, t.RevokedAt = store.TerminalRevoked, at
		_, err = tx.Exec(ctx, `UPDATE terminals SET state = $2, revoked_at = $3 WHERE id = $1`, id, string(t.State), ts(at))
		return err
	})
	if err != nil {
		return store.Terminal{}, err
	}
	return t, nil
}

func (s *engine) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if err := insertUser(ctx, s.pool, u); err != nil {
		return store.User{}, mapErr(err)
	}
	return u, nil
}

func insertUser(ctx context.Context, q execer, u store.User) error {
	_, err := q.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4)`, u.ID, u.Name, u.PasswordHash, ts(u.CreatedAt))
	if sqlState(err) == sqlUniqueViolation {
		return fmt.Errorf("%w: user %s", store.ErrExists, u.ID)
	}
	return err
}

func (s *engine) GetUser(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, notFound(err, "user "+id)
}

func (s *engine) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE id > $1 ORDER BY id LIMIT $2`, p.AfterID, p.Limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanUser)
	return out, mapErr(err)
}

func (s *engine) CreateSession(ctx context.Context, ss store.Session) error {
	return mapErr(insertSession(ctx, s.pool, ss))
}

func insertSession(ctx context.Context, q execer, ss store.Session) error {
	_, err := q.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4)`,
		ss.TokenHash, ss.UserID, ts(ss.CreatedAt), ts(ss.ExpiresAt))
	switch sqlState(err) {
	case sqlUniqueViolation:
		return fmt.Errorf("%w: session", store.ErrExists)
	case sqlForeignKeyViolation:
		return fmt.Errorf("%w: user %q", store.ErrNotFound, ss.UserID)
	}
	return err
}

func (s *engine) GetSession(ctx context.Context, tokenHash []byte, now time.Time) (store.Session, error) {
	if len(tokenHash) == 0 {
		return store.Session{}, fmt.Errorf("%w: session", store.ErrNotFound)
	}
	ss, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return store.Session{}, notFound(err, "session")
	}
	if !now.Before(ss.ExpiresAt) {
		return store.Session{}, fmt.Errorf("%w: session expired", store.ErrNotFound)
	}
	return ss, nil
}

func (s *engine) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return mapErr(err)
}
