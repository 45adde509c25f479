package pgstore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// PutServerKey announces k; the same key again does nothing.
func (s *engine) PutServerKey(ctx context.Context, k store.ServerKey) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO server_keys (key_id, created_at, sealed, endorsed_by, endorsement, current_from)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id) DO NOTHING`,
		k.KeyID, ts(k.Created), k.Sealed, k.EndorsedBy, k.Endorsement, ts(k.CurrentFrom))
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// There already: the same key (sealed anew, so compare what the seal does not change).
	var have store.ServerKey
	if err := s.readServerKey(s.pool.QueryRow(ctx, `SELECT `+serverKeyCols+` FROM server_keys WHERE key_id = $1`, k.KeyID), &have); err != nil {
		return mapErr(err)
	}
	if have.EndorsedBy != k.EndorsedBy || !bytes.Equal(have.Endorsement, k.Endorsement) || !have.Created.Equal(ledger.Norm(k.Created)) {
		return fmt.Errorf("%w: server key %s with other contents", store.ErrExists, k.KeyID)
	}
	return nil
}

const serverKeyCols = `key_id, created_at, sealed, endorsed_by, endorsement, current_from`

// ServerKeys lists the announced keys by current_from, then id.
func (s *engine) ServerKeys(ctx context.Context) ([]store.ServerKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+serverKeyCols+` FROM server_keys ORDER BY current_from, key_id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []store.ServerKey
	for rows.Next() {
		var k store.ServerKey
		if err := s.readServerKey(rows, &k); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, k)
	}
	return out, mapErr(rows.Err())
}

func (s *engine) readServerKey(row pgx.Row, k *store.ServerKey) error {
	var created, from pgtype.Timestamptz
	if err := row.Scan(&k.KeyID, &created, &k.Sealed, &k.EndorsedBy, &k.Endorsement, &from); err != nil {
		return err
	}
	k.Created, k.CurrentFrom = fromTS(created), fromTS(from)
	return nil
}
