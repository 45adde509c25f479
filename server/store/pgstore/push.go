package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

const pushCols = `user_id, endpoint, p256dh, auth, created_at`

func scanPush(row pgx.Row) (store.PushSubscription, error) {
	var p store.PushSubscription
	var created pgtype.Timestamptz
	err := row.Scan(&p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &created)
	p.CreatedAt = fromTS(created)
	return p, err
}

func listPush(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, userID string) ([]store.PushSubscription, error) {
	rows, err := q.Query(ctx, `SELECT `+pushCols+` FROM push_subscriptions WHERE user_id = $1 ORDER BY endpoint`, userID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPush)
}

func (s *engine) PutPushSubscription(ctx context.Context, p store.PushSubscription) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		have, err := listPush(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		if drop := ledger.PushEvictions(have, p.Endpoint); len(drop) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = ANY($2)`, p.UserID, drop); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO push_subscriptions (`+pushCols+`) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id, endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
			p.UserID, p.Endpoint, p.P256dh, p.Auth, ts(p.CreatedAt))
		return err
	})
	if sqlState(err) == sqlForeignKeyViolation {
		return fmt.Errorf("%w: user %s", store.ErrNotFound, p.UserID)
	}
	return mapErr(err)
}

func (s *engine) ListPushSubscriptions(ctx context.Context, userID string) ([]store.PushSubscription, error) {
	out, err := listPush(ctx, s.pool, userID)
	return out, mapErr(err)
}

func (s *engine) DeletePushSubscription(ctx context.Context, userID, endpoint string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2`, userID, endpoint)
	return mapErr(err)
}
