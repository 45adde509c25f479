package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
)

const merchantTokenCols = `id, merchant_id, hash, name, created_at, revoked_at`

func scanMerchantToken(row pgx.Row) (store.MerchantToken, error) {
	var t store.MerchantToken
	var created, revoked pgtype.Timestamptz
	err := row.Scan(&t.ID, &t.MerchantID, &t.Hash, &t.Name, &created, &revoked)
	t.CreatedAt, t.RevokedAt = fromTS(created), fromTS(revoked)
	return t, err
}

func (s *engine) CreateMerchantToken(ctx context.Context, t store.MerchantToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO merchant_tokens (`+merchantTokenCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.MerchantID, t.Hash, t.Name, ts(t.CreatedAt), ts(t.RevokedAt))
	switch sqlState(err) {
	case sqlUniqueViolation:
		return fmt.Errorf("%w: merchant token %s", store.ErrExists, t.ID)
	case sqlForeignKeyViolation:
		return fmt.Errorf("%w: merchant %s", store.ErrNotFound, t.MerchantID)
	}
	return mapErr(err)
}

func (s *engine) GetMerchantToken(ctx context.Context, hash []byte) (store.MerchantToken, error) {
	t, err := scanMerchantToken(s.pool.QueryRow(ctx, `SELECT `+merchantTokenCols+` FROM merchant_tokens WHERE hash = $1`, hash))
	return t, notFound(err, "merchant token")
}

func (s *engine) ListMerchantTokens(ctx context.Context, merchantID string) ([]store.MerchantToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+merchantTokenCols+` FROM merchant_tokens WHERE $1 = '' OR merchant_id = $1 ORDER BY id`, merchantID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanMerchantToken)
	return out, mapErr(err)
}

func (s *engine) RevokeMerchantToken(ctx context.Context, id string, at time.Time) (store.MerchantToken, error) {
	t, err := scanMerchantToken(s.pool.QueryRow(ctx, `UPDATE merchant_tokens SET revoked_at = coalesce(revoked_at, $2)
		WHERE id = $1 RETURNING `+merchantTokenCols, id, ts(at)))
	return t, notFound(err, "merchant token "+id)
}

func (s *engine) GetOfferSettings(ctx context.Context, userID string) (store.OfferSettings, error) {
	v := store.OfferSettings{UserID: userID}
	var optedIn *bool
	var optOuts []string
	var updated pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT o.opted_in, o.opt_outs, o.updated_at FROM users AS u
		LEFT JOIN offer_settings AS o ON o.user_id = u.id WHERE u.id = $1`, userID).Scan(&optedIn, &optOuts, &updated)
	if err != nil {
		return v, notFound(err, "user "+userID)
	}
	if optedIn != nil {
		v.OptedIn, v.UpdatedAt = *optedIn, fromTS(updated)
		if len(optOuts) > 0 {
			v.OptOuts = optOuts
		}
	}
	return v, nil
}

func (s *engine) PutOfferSettings(ctx context.Context, v store.OfferSettings) error {
	optOuts := v.OptOuts
	if optOuts == nil {
		optOuts = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO offer_settings (user_id, opted_in, opt_outs, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET opted_in = excluded.opted_in, opt_outs = excluded.opt_outs, updated_at = excluded.updated_at`,
		v.UserID, v.OptedIn, optOuts, ts(v.UpdatedAt))
	if sqlState(err) == sqlForeignKeyViolation {
		return fmt.Errorf("%w: user %s", store.ErrNotFound, v.UserID)
	}
	return mapErr(err)
}

// Screen runs one set-based query (screenSQL): candidates from offer_settings, this merchant's
// activity aggregated per user once, one semi-join per category condition, the active authorizations.
func (s *engine) Screen(ctx context.Context, q store.ScreenQuery) ([]string, error) {
	sql, args := screenSQL(q)
	var out []string
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// Sorted here, by bytes like every store, whatever the database's collation.
	slices.Sort(out)
	return out, nil
}

// activityWhere selects the rows of the activity index (ledger.IsActivity) up to now ($2).
const activityWhere = `t.kind = 'payment' AND t.status = 'approved' AND NOT t.tombstone AND t.voided_by = ''
	AND t.user_id <> '' AND t.approved_at <= $2`

// screenSQL builds the screening query. Only values are parameters; the shape comes from the typed
// conditions alone (never text from the merchant).
func screenSQL(q store.ScreenQuery) (string, []any) {
	args := []any{q.MerchantID, q.Now, q.Now.Add(-q.CapWindow), int64(q.CapCount)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var aggs []string
	var ctes []string
	var joins []string
	mccAlias := map[screen.Condition]string{}
	needAuth := false
	var groups []string
	for _, g := range q.Set.Groups {
		var preds []string
		for _, c := range g {
			switch c.Type {
			case screen.Visits, screen.Spend:
				col := "a" + strconv.Itoa(len(aggs))
				expr := "count(*)"
				if c.Type == screen.Spend {
					expr = "sum(t.amount_minor)"
				}
				aggs = append(aggs, fmt.Sprintf("%s FILTER (WHERE t.approved_at >= %s) AS %s", expr, arg(c.Window(q.Now)), col))
				preds = append(preds, fmt.Sprintf("coalesce(a.%s, 0) BETWEEN %s AND %s", col, arg(c.Lo()), arg(c.Hi())))
			case screen.DaysSinceLastVisit:
				preds = append(preds, fmt.Sprintf("(a.last_at IS NOT NULL AND floor(extract(epoch FROM ($2 - a.last_at)) / 86400) BETWEEN %s AND %s)",
					arg(c.Lo()), arg(c.Hi())))
			case screen.FirstTime:
				preds = append(preds, "a.user_id IS NULL")
			case screen.Returning:
				preds = append(preds, "a.user_id IS NOT NULL")
			case screen.MCC:
				k := screen.Condition{Type: screen.MCC, MCC: c.MCC, Days: c.Days}
				alias, ok := mccAlias[k]
				if !ok {
					alias = "m" + strconv.Itoa(len(mccAlias))
					mccAlias[k] = alias
					ctes = append(ctes, fmt.Sprintf(`%s AS (SELECT DISTINCT t.user_id FROM txns AS t JOIN merchants AS mm ON mm.id = t.merchant_id
						WHERE mm.mcc = %s AND t.approved_at >= %s AND %s)`, alias, arg(c.MCC), arg(c.Window(q.Now)), activityWhere))
					joins = append(joins, fmt.Sprintf("LEFT JOIN %s ON %s.user_id = c.user_id", alias, alias))
				}
				preds = append(preds, alias+".user_id IS NOT NULL")
			case screen.ActiveAuthorization:
				needAuth = true
				preds = append(preds, "au.user_id IS NOT NULL")
			}
		}
		groups = append(groups, "("+strings.Join(preds, " AND ")+")")
	}
	if needAuth {
		ctes = append(ctes, `au AS (SELECT DISTINCT user_id FROM authorizations WHERE expires_at > $2 AND (revoked_at IS NULL OR revoked_at > $2))`)
		joins = append(joins, "LEFT JOIN au ON au.user_id = c.user_id")
	}
	aggs = append(aggs, "max(t.approved_at) AS last_at")
	var b strings.Builder
	// The frequency cap is one grouped scan of the recent messages, not a probe per candidate.
	b.WriteString(`WITH recent AS (
	SELECT om.user_id, count(*) AS n FROM offer_messages AS om
	WHERE $4 > 0 AND om.created_at > $3 AND om.created_at <= $2 GROUP BY om.user_id
), cand AS (
	SELECT s.user_id FROM offer_settings AS s LEFT JOIN recent AS r ON r.user_id = s.user_id
	WHERE s.opted_in AND NOT ($1 = ANY (s.opt_outs)) AND ($4 = 0 OR coalesce(r.n, 0) < $4)
), act AS (
	SELECT t.user_id, ` + strings.Join(aggs, ", ") + `
	FROM txns AS t WHERE t.merchant_id = $1 AND ` + activityWhere + `
	GROUP BY t.user_id
)`)
	for _, c := range ctes {
		b.WriteString(", " + c)
	}
	b.WriteString("\nSELECT c.user_id FROM cand AS c LEFT JOIN act AS a ON a.user_id = c.user_id\n")
	for _, j := range joins {
		b.WriteString(j + "\n")
	}
	b.WriteString("WHERE " + strings.Join(groups, " OR "))
	return b.String(), args
}

func (s *engine) LaunchCampaign(ctx context.Context, c store.Campaign, members []store.CampaignMember, msgs []store.OfferMessage) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	memberRows := make([][]any, len(members))
	for i, m := range members {
		memberRows[i] = []any{c.ID, m.UserID, m.Holdout}
	}
	msgRows := make([][]any, len(msgs))
	for i, m := range msgs {
		d, err := json.Marshal(m)
		if err != nil {
			return err
		}
		msgRows[i] = []any{m.ID, m.UserID, m.CampaignID, ts(m.CreatedAt), d}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO campaigns (id, merchant_id, doc) VALUES ($1, $2, $3)`, c.ID, c.MerchantID, doc)
		switch sqlState(err) {
		case sqlUniqueViolation:
			return fmt.Errorf("%w: campaign %s", store.ErrExists, c.ID)
		case sqlForeignKeyViolation:
			return fmt.Errorf("%w: merchant %s", store.ErrNotFound, c.MerchantID)
		case "":
		default:
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"campaign_members"}, []string{"campaign_id", "user_id", "holdout"},
			pgx.CopyFromRows(memberRows)); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"offer_messages"}, []string{"id", "user_id", "campaign_id", "created_at", "doc"},
			pgx.CopyFromRows(msgRows))
		if sqlState(err) == sqlUniqueViolation {
			return fmt.Errorf("%w: message id", store.ErrExists)
		}
		return err
	})
}

func scanDoc[T any](row pgx.Row) (T, error) {
	var v T
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		return v, err
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("pgstore: corrupt record: %w", err)
	}
	return v, nil
}

func (s *engine) GetCampaign(ctx context.Context, id string) (store.Campaign, error) {
	c, err := scanDoc[store.Campaign](s.pool.QueryRow(ctx, `SELECT doc FROM campaigns WHERE id = $1`, id))
	return c, notFound(err, "campaign "+id)
}

func (s *engine) ListCampaigns(ctx context.Context, merchantID string, p store.Page) ([]store.Campaign, error) {
	rows, err := s.pool.Query(ctx, `SELECT doc FROM campaigns WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		merchantID, p.AfterID, p.Limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanDoc[store.Campaign])
	return out, mapErr(err)
}

func (s *engine) CancelCampaign(ctx context.Context, id string, at time.Time) (store.Campaign, error) {
	var c store.Campaign
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		c, err = scanDoc[store.Campaign](tx.QueryRow(ctx, `SELECT doc FROM campaigns WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "campaign "+id)
		}
		if c.State == store.CampaignCancelled {
			return nil
		}
		c.State, c.CancelledAt = store.CampaignCancelled, ledger.Norm(at)
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE campaigns SET doc = $2 WHERE id = $1`, id, doc)
		return err
	})
	return c, err
}

func (s *engine) campaignExists(ctx context.Context, q querier, id string) error {
	var one int
	return notFound(q.QueryRow(ctx, `SELECT 1 FROM campaigns WHERE id = $1`, id).Scan(&one), "campaign "+id)
}

func (s *engine) CampaignMembers(ctx context.Context, campaignID string) ([]store.CampaignMember, error) {
	if err := s.campaignExists(ctx, s.pool, campaignID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT campaign_id, user_id, holdout FROM campaign_members WHERE campaign_id = $1 ORDER BY user_id`, campaignID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, func(r pgx.Row) (store.CampaignMember, error) {
		var m store.CampaignMember
		return m, r.Scan(&m.CampaignID, &m.UserID, &m.Holdout)
	})
	return out, mapErr(err)
}

func (s *engine) CampaignMessages(ctx context.Context, campaignID string) ([]store.OfferMessage, error) {
	if err := s.campaignExists(ctx, s.pool, campaignID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT doc FROM offer_messages WHERE campaign_id = $1 ORDER BY user_id, id`, campaignID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, scanDoc[store.OfferMessage])
	return out, mapErr(err)
}

func (s *engine) ListMessages(ctx context.Context, userID string, all bool, n int, now time.Time) ([]store.OfferMessage, error) {
	var out []store.OfferMessage
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT doc FROM offer_messages WHERE user_id = $1 AND ($2 OR NOT doc ? 'acked_at')
			ORDER BY created_at, id LIMIT $3`, userID, all, n)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanDoc[store.OfferMessage])
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].DeliveredAt.IsZero() {
				out[i].DeliveredAt = ledger.Norm(now)
				if err := putMessage(ctx, tx, out[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

func putMessage(ctx context.Context, tx pgx.Tx, m store.OfferMessage) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE offer_messages SET doc = $2 WHERE id = $1`, m.ID, doc)
	return err
}

func (s *engine) MarkMessages(ctx context.Context, userID string, ids []string, mark store.MessageMark, at time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT doc FROM offer_messages WHERE id = ANY ($1) AND user_id = $2 ORDER BY id FOR UPDATE`, ids, userID)
		if err != nil {
			return err
		}
		msgs, err := collect(rows, scanDoc[store.OfferMessage])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if ledger.Mark(&m, mark, at) {
				if err := putMessage(ctx, tx, m); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

func (s *engine) MerchantActivity(ctx context.Context, merchantID string, from, to time.Time) ([]store.Activity, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.user_id, t.approved_at, t.amount_minor, t.seq FROM txns AS t
		WHERE t.merchant_id = $1 AND t.approved_at >= $3 AND t.approved_at < $2 AND `+strings.ReplaceAll(activityWhere, "t.approved_at <= $2", "true")+`
		ORDER BY t.approved_at, t.seq`, merchantID, to, from)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collect(rows, func(r pgx.Row) (store.Activity, error) {
		var a store.Activity
		var at pgtype.Timestamptz
		var seq int64
		err := r.Scan(&a.UserID, &at, &a.Minor, &seq)
		a.At, a.Seq = fromTS(at), uint64(seq)
		return a, err
	})
	return out, mapErr(err)
}
