package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateAuthorization(ctx context.Context, a store.Authorization) (store.Authorization, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Writes before checks is fine: any error rolls the whole transaction back. This order gives
		// the same error as the embedded store when several things are wrong.
		if err := insertAuthorization(ctx, tx, a); err != nil {
			return err
		}
		if err := insertAccount(ctx, tx, store.Account{ID: a.HoldAccountID, Kind: store.AccountHold, Currency: a.Currency,
			OwnerID: a.ID, CreatedAt: a.CreatedAt}); err != nil {
			return err
		}
		acct, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, a.AccountID))
		if err != nil {
			return notFound(err, "account "+a.AccountID)
		}
		if err := ledger.CheckFunding(a, acct); err != nil {
			return err
		}
		return appendEntry(ctx, tx, ledger.HoldEntry(a))
	})
	if err != nil {
		return store.Authorization{}, err
	}
	return a, nil
}

func insertAuthorization(ctx context.Context, q execer, a store.Authorization) error {
	_, err := q.Exec(ctx, `INSERT INTO authorizations (`+authCols+`, closes_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		a.ID, a.UserID, a.AccountID, a.HoldAccountID, a.Currency, a.CapPerPayment, a.MaxCodes, a.HoldMinor,
		a.DevicePublicKey, a.SealedSecret, a.Credential, a.KeyID, ts(a.CreatedAt), ts(a.ExpiresAt), ts(a.RevokedAt),
		a.UsedCodes, a.ReplayedCodes, a.ReleasedMinor, ts(a.HoldClosedAt), ts(ledger.ClosesAt(a)))
	if sqlState(err) == sqlUniqueViolation {
		return fmt.Errorf("%w: authorization %s", store.ErrExists, a.ID)
	}
	return err
}

func (s *engine) GetAuthorization(ctx context.Context, id string) (store.Authorization, error) {
	a, err := scanAuthorization(s.pool.QueryRow(ctx, `SELECT `+authCols+` FROM authorizations WHERE id = $1`, id))
	return a, notFound(err, "authorization "+id)
}

func (s *engine) GetAuthorizations(ctx context.Context, ids []string) (map[string]store.Authorization, error) {
	if len(ids) > store.MaxOpsPerCall {
		return nil, fmt.Errorf("%w: %d ids, at most %d", store.ErrTooManyOps, len(ids), store.MaxOpsPerCall)
	}
	out := make(map[string]store.Authorization, len(ids))
	switch len(ids) {
	case 0:
		return out, nil
	case 1:
		// A single payment's authorization: coalesced with other requests' lookups.
		a, ok, err := s.r.auths.get(ctx, ids[0])
		if ok {
			out[a.ID] = a
		}
		return out, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+authCols+` FROM authorizations WHERE id = ANY($1::text[])`, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	auths, err := collect(rows, scanAuthorization)
	if err != nil {
		return nil, mapErr(err)
	}
	for _, a := range auths {
		out[a.ID] = a
	}
	return out, nil
}

func (s *engine) ListAuthorizations(ctx context.Context, f store.AuthorizationFilter) ([]store.Authorization, error) {
	q := `SELECT ` + authCols + ` FROM authorizations WHERE id > $1`
	args := []any{f.AfterID}
	switch {
	case f.UserID != "" && f.AccountID != "":
		return nil, fmt.Errorf("%w: filter by user or by account, not both", store.ErrInvalidArgument)
	case f.UserID != "":
		q += ` AND user_id = $2`
		args = append(args, f.UserID)
	case f.AccountID != "":
		q += ` AND account_id = $2`
		args = append(args, f.AccountID)
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanAuthorization)
	return out, mapErr(err)
}

func (s *engine) RevokeAuthorization(ctx context.Context, id string, at time.Time) (store.Authorization, error) {
	var a store.Authorization
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		a, err = scanAuthorization(tx.QueryRow(ctx, `SELECT `+authCols+` FROM authorizations WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "authorization "+id)
		}
		if !a.RevokedAt.IsZero() {
			return nil
		}
		a.RevokedAt = at
		_, err = tx.Exec(ctx, `UPDATE authorizations SET revoked_at = $2, closes_at = $3 WHERE id = $1`,
			id, ts(at), ts(ledger.ClosesAt(a)))
		return err
	})
	if err != nil {
		return store.Authorization{}, err
	}
	return a, nil
}
