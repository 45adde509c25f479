package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Flow 3's buckets (docs/offers.md). Screening reads indexes only: the opted-in users, the per-merchant
// activity index, the open-authorization index and the per-user inbox index — never every transaction.
var (
	bktMerchantTokens = []byte("merchant_tokens")      // hash → MerchantToken
	bktOfferSettings  = []byte("offer_settings")       // user → OfferSettings
	bktOfferOptIn     = []byte("offer_optin")          // user → opt-out merchant ids joined by \0; opted-in users only
	bktCampaigns      = []byte("campaigns")            // id → Campaign
	bktCampaignByMer  = []byte("campaign_by_merchant") // merchant \0 id
	bktCampaignMember = []byte("campaign_members")     // campaign \0 user → 1 holdout, 0 treatment
	bktOfferMessages  = []byte("offer_messages")       // id → OfferMessage
	bktOfferInbox     = []byte("offer_inbox")          // user \0 u64 created + id → empty
	bktOfferByCamp    = []byte("offer_by_campaign")    // campaign \0 user \0 id → empty
	// bktActivity is the per-merchant activity index: merchant \0 u64 ApprovedAt u64 seq → user \0 u64
	// minor, one key per approved, not voided payment (ledger.IsActivity). migrateOffers builds it for
	// stores written before it existed.
	bktActivity = []byte("merchant_activity")
)

var offerBuckets = [][]byte{bktMerchantTokens, bktOfferSettings, bktOfferOptIn, bktCampaigns, bktCampaignByMer,
	bktCampaignMember, bktOfferMessages, bktOfferInbox, bktOfferByCamp, bktRedemptions, bktRedemptionByMer, bktPushSubs}

// migrateOffers creates flow 3's buckets; the first time, it fills the activity index from the txns.
func migrateOffers(tx *bolt.Tx) error {
	for _, b := range offerBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	if tx.Bucket(bktActivity) != nil {
		return nil
	}
	act, err := tx.CreateBucket(bktActivity)
	if err != nil {
		return err
	}
	return tx.Bucket(bktTxns).ForEach(func(k, v []byte) error {
		t, err := decodeTxn(v)
		if err != nil {
			return err
		}
		if ledger.IsActivity(t) {
			return act.Put(activityKey(&t), activityValue(&t))
		}
		return nil
	})
}

func activityKey(t *store.Txn) []byte {
	k := prefixed(t.MerchantID, timeKey(t.ApprovedAt))
	return append(k, u64(t.Seq)...)
}

func activityValue(t *store.Txn) []byte {
	v := append([]byte(t.UserID), sep)
	return append(v, u64(uint64(t.Amount.Minor))...)
}

// activityIndex is the index entry of an inserted txn, if it is activity.
func activityIndex(v *store.Txn) (txnIndex, bool) {
	if !ledger.IsActivity(*v) {
		return txnIndex{}, false
	}
	return txnIndex{bktActivity, activityKey(v)}, true
}

// dropActivity removes a voided payment from the activity index.
func dropActivity(tx *bolt.Tx, v *store.Txn) error {
	if v.Kind != store.OpPayment || ledger.IsActivity(*v) {
		return nil
	}
	return abort(tx.Bucket(bktActivity).Delete(activityKey(v)))
}

// scanActivity calls fn for each activity of merchantID with ApprovedAt in [from, to].
func scanActivity(tx *bolt.Tx, merchantID string, from, to time.Time, fn func(user string, at time.Time, minor int64, seq uint64)) {
	prefix := pair(merchantID, "")
	c := tx.Bucket(bktActivity).Cursor()
	for k, v := c.Seek(prefixed(merchantID, timeKey(from))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		rest := k[len(prefix):]
		if len(rest) != 16 || len(v) < 9 {
			continue
		}
		at := timeFromKey(rest[:8])
		if at.After(to) {
			return
		}
		user := string(v[:len(v)-9])
		fn(user, at, int64(getU64(v[len(v)-8:])), getU64(rest[8:]))
	}
}

func (s *engine) CreateMerchantToken(ctx context.Context, t store.MerchantToken) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktMerchants).Get([]byte(t.MerchantID)) == nil {
			return fmt.Errorf("%w: merchant %s", store.ErrNotFound, t.MerchantID)
		}
		b := tx.Bucket(bktMerchantTokens)
		if b.Get(t.Hash) != nil || tokenByID(tx, t.ID) != nil {
			return fmt.Errorf("%w: merchant token %s", store.ErrExists, t.ID)
		}
		return putJSON(b, t.Hash, t)
	})
}

// tokenByID finds a token's hash by id (tokens are few: a scan).
func tokenByID(tx *bolt.Tx, id string) []byte {
	var found []byte
	_ = tx.Bucket(bktMerchantTokens).ForEach(func(k, v []byte) error {
		var t store.MerchantToken
		if getJSONRaw(v, "merchant token", &t) == nil && t.ID == id {
			found = slices.Clone(k)
		}
		return nil
	})
	return found
}

func (s *engine) GetMerchantToken(ctx context.Context, hash []byte) (store.MerchantToken, error) {
	var t store.MerchantToken
	err := s.db.View(func(tx *bolt.Tx) error {
		if len(hash) == 0 {
			return fmt.Errorf("%w: merchant token", store.ErrNotFound)
		}
		return getJSON(tx.Bucket(bktMerchantTokens), hash, "merchant token", &t)
	})
	return t, err
}

func (s *engine) ListMerchantTokens(ctx context.Context, merchantID string) ([]store.MerchantToken, error) {
	var out []store.MerchantToken
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktMerchantTokens).ForEach(func(k, v []byte) error {
			var t store.MerchantToken
			if err := getJSONRaw(v, "merchant token", &t); err != nil {
				return err
			}
			if merchantID == "" || t.MerchantID == merchantID {
				out = append(out, t)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b store.MerchantToken) int { return strings.Compare(a.ID, b.ID) })
	return out, err
}

func (s *engine) RevokeMerchantToken(ctx context.Context, id string, at time.Time) (store.MerchantToken, error) {
	var t store.MerchantToken
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		h := tokenByID(tx, id)
		if h == nil {
			return fmt.Errorf("%w: merchant token %s", store.ErrNotFound, id)
		}
		b := tx.Bucket(bktMerchantTokens)
		if err := getJSON(b, h, "merchant token", &t); err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return nil
		}
		t.RevokedAt = ledger.Norm(at)
		return putJSON(b, h, t)
	})
	return t, err
}

func (s *engine) GetOfferSettings(ctx context.Context, userID string) (store.OfferSettings, error) {
	v := store.OfferSettings{UserID: userID}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bktUsers).Get([]byte(userID)) == nil {
			return fmt.Errorf("%w: user %s", store.ErrNotFound, userID)
		}
		if raw := tx.Bucket(bktOfferSettings).Get([]byte(userID)); raw != nil {
			return getJSONRaw(raw, "offer settings "+userID, &v)
		}
		return nil
	})
	return v, err
}

func (s *engine) PutOfferSettings(ctx context.Context, v store.OfferSettings) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktUsers).Get([]byte(v.UserID)) == nil {
			return fmt.Errorf("%w: user %s", store.ErrNotFound, v.UserID)
		}
		if err := putJSON(tx.Bucket(bktOfferSettings), []byte(v.UserID), v); err != nil {
			return err
		}
		optIn := tx.Bucket(bktOfferOptIn)
		if !v.OptedIn {
			return abort(optIn.Delete([]byte(v.UserID)))
		}
		return abort(optIn.Put([]byte(v.UserID), []byte(strings.Join(v.OptOuts, "\x00"))))
	})
}

func (s *engine) Screen(ctx context.Context, q store.ScreenQuery) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		sc := ledger.NewScreener(q)
		// Facts from indexes: this merchant's activity (all of it: days since the last visit looks back
		// without bound), each category's merchants' activity in its window, the open authorizations.
		scanActivity(tx, q.MerchantID, time.Time{}, q.Now, func(user string, at time.Time, minor int64, _ uint64) {
			sc.Visit(user, at, minor)
		})
		if mccs := q.Set.MCCs(); len(mccs) > 0 {
			byMCC := map[string][]string{}
			err := tx.Bucket(bktMerchants).ForEach(func(k, v []byte) error {
				var m store.Merchant
				if err := getJSONRaw(v, "merchant", &m); err != nil {
					return err
				}
				byMCC[m.MCC] = append(byMCC[m.MCC], m.ID)
				return nil
			})
			if err != nil {
				return err
			}
			for _, c := range mccs {
				for _, mid := range byMCC[c.MCC] {
					scanActivity(tx, mid, c.Window(q.Now), q.Now, func(user string, _ time.Time, _ int64, _ uint64) {
						sc.PaidInMCC(c, user)
					})
				}
			}
		}
		if sc.NeedsAuthorizations() {
			c := tx.Bucket(bktAuthOpen).Cursor()
			now := ltx{tx: tx}
			for k, _ := c.Seek(timeKey(q.Now.Add(time.Microsecond))); k != nil; k, _ = c.Next() {
				if len(k) <= 8 {
					continue
				}
				a, err := now.Authorization(string(k[8:]))
				if err != nil {
					return err
				}
				if ledger.AuthActive(a, q.Now) {
					sc.ActiveAuth(a.UserID)
				}
			}
		}
		inbox := tx.Bucket(bktOfferInbox).Cursor()
		from := q.Now.Add(-q.CapWindow)
		return tx.Bucket(bktOfferOptIn).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			user := string(k)
			if len(v) > 0 && sc.OptedOut(strings.Split(string(v), "\x00")) {
				return nil
			}
			if q.CapCount > 0 {
				var recent []time.Time
				prefix := pair(user, "")
				for ik, _ := inbox.Seek(prefixed(user, timeKey(from))); ik != nil && bytes.HasPrefix(ik, prefix) && len(recent) < q.CapCount+1; ik, _ = inbox.Next() {
					recent = append(recent, timeFromKey(ik[len(prefix):len(prefix)+8]))
				}
				if sc.Capped(recent) {
					return nil
				}
			}
			if sc.Match(user) {
				out = append(out, user)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func inboxKey(m store.OfferMessage) []byte {
	k := prefixed(m.UserID, timeKey(m.CreatedAt))
	return append(k, m.ID...)
}

func (s *engine) LaunchCampaign(ctx context.Context, c store.Campaign, members []store.CampaignMember, msgs []store.OfferMessage) error {
	return s.w.do(ctx, 1+len(msgs)/64, func(tx *bolt.Tx) error {
		if tx.Bucket(bktMerchants).Get([]byte(c.MerchantID)) == nil {
			return fmt.Errorf("%w: merchant %s", store.ErrNotFound, c.MerchantID)
		}
		cb := tx.Bucket(bktCampaigns)
		if cb.Get([]byte(c.ID)) != nil {
			return fmt.Errorf("%w: campaign %s", store.ErrExists, c.ID)
		}
		mb := tx.Bucket(bktOfferMessages)
		for _, m := range msgs {
			if mb.Get([]byte(m.ID)) != nil {
				return fmt.Errorf("%w: message %s", store.ErrExists, m.ID)
			}
		}
		if err := putJSON(cb, []byte(c.ID), c); err != nil {
			return err
		}
		if err := abort(tx.Bucket(bktCampaignByMer).Put(pair(c.MerchantID, c.ID), indexMark)); err != nil {
			return err
		}
		memb := tx.Bucket(bktCampaignMember)
		for _, m := range members {
			flag := []byte{0}
			if m.Holdout {
				flag[0] = 1
			}
			if err := abort(memb.Put(pair(c.ID, m.UserID), flag)); err != nil {
				return err
			}
		}
		inbox, byCamp := tx.Bucket(bktOfferInbox), tx.Bucket(bktOfferByCamp)
		for _, m := range msgs {
			if err := putJSON(mb, []byte(m.ID), m); err != nil {
				return err
			}
			if err := abort(inbox.Put(inboxKey(m), nil)); err != nil {
				return err
			}
			if err := abort(byCamp.Put(pair(c.ID, m.UserID+"\x00"+m.ID), nil)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *engine) GetCampaign(ctx context.Context, id string) (store.Campaign, error) {
	var c store.Campaign
	err := s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bktCampaigns), []byte(id), "campaign "+id, &c)
	})
	return c, err
}

func (s *engine) ListCampaigns(ctx context.Context, merchantID string, p store.Page) ([]store.Campaign, error) {
	n := p.Limit
	var out []store.Campaign
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := pair(merchantID, "")
		c := tx.Bucket(bktCampaignByMer).Cursor()
		for k, _ := c.Seek(pair(merchantID, p.AfterID)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, _ = c.Next() {
			id := string(k[len(prefix):])
			if id == p.AfterID {
				continue
			}
			var cp store.Campaign
			if err := getJSON(tx.Bucket(bktCampaigns), []byte(id), "campaign "+id, &cp); err != nil {
				return err
			}
			out = append(out, cp)
		}
		return nil
	})
	return out, err
}

func (s *engine) CancelCampaign(ctx context.Context, id string, at time.Time) (store.Campaign, error) {
	var c store.Campaign
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		b := tx.Bucket(bktCampaigns)
		if err := getJSON(b, []byte(id), "campaign "+id, &c); err != nil {
			return err
		}
		if c.State == store.CampaignCancelled {
			return nil
		}
		c.State, c.CancelledAt = store.CampaignCancelled, ledger.Norm(at)
		return putJSON(b, []byte(id), c)
	})
	return c, err
}

func (s *engine) CampaignMembers(ctx context.Context, campaignID string) ([]store.CampaignMember, error) {
	var out []store.CampaignMember
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bktCampaigns).Get([]byte(campaignID)) == nil {
			return fmt.Errorf("%w: campaign %s", store.ErrNotFound, campaignID)
		}
		prefix := pair(campaignID, "")
		c := tx.Bucket(bktCampaignMember).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			out = append(out, store.CampaignMember{CampaignID: campaignID, UserID: string(k[len(prefix):]), Holdout: len(v) == 1 && v[0] == 1})
		}
		return nil
	})
	return out, err
}

func (s *engine) CampaignMessages(ctx context.Context, campaignID string) ([]store.OfferMessage, error) {
	var out []store.OfferMessage
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bktCampaigns).Get([]byte(campaignID)) == nil {
			return fmt.Errorf("%w: campaign %s", store.ErrNotFound, campaignID)
		}
		prefix := pair(campaignID, "")
		c := tx.Bucket(bktOfferByCamp).Cursor()
		mb := tx.Bucket(bktOfferMessages)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			_, id := splitPair(k[len(prefix):])
			var m store.OfferMessage
			if err := getJSON(mb, []byte(id), "message "+id, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

func (s *engine) ListMessages(ctx context.Context, userID string, all bool, n int, now time.Time) ([]store.OfferMessage, error) {
	var out []store.OfferMessage
	var undelivered []string
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := pair(userID, "")
		c := tx.Bucket(bktOfferInbox).Cursor()
		mb := tx.Bucket(bktOfferMessages)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, _ = c.Next() {
			id := string(k[len(prefix)+8:])
			var m store.OfferMessage
			if err := getJSON(mb, []byte(id), "message "+id, &m); err != nil {
				return err
			}
			if !all && !m.AckedAt.IsZero() {
				continue
			}
			if m.DeliveredAt.IsZero() {
				undelivered = append(undelivered, id)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil || len(undelivered) == 0 {
		return out, err
	}
	// Delivery is recorded after the read: a message is "delivered" once a wallet was sent it.
	now = ledger.Norm(now)
	err = s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		_, err := markMessages(tx, userID, undelivered, func(m *store.OfferMessage) bool {
			if !m.DeliveredAt.IsZero() {
				return false
			}
			m.DeliveredAt = now
			return true
		})
		return err
	})
	for i := range out {
		if out[i].DeliveredAt.IsZero() {
			out[i].DeliveredAt = now
		}
	}
	return out, err
}

func markMessages(tx *bolt.Tx, userID string, ids []string, set func(*store.OfferMessage) bool) (int, error) {
	mb := tx.Bucket(bktOfferMessages)
	n := 0
	for _, id := range ids {
		raw := mb.Get([]byte(id))
		if raw == nil {
			continue
		}
		var m store.OfferMessage
		if err := getJSONRaw(raw, "message "+id, &m); err != nil {
			return 0, err
		}
		if m.UserID != userID || !set(&m) {
			continue
		}
		if err := putJSON(mb, []byte(id), m); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func (s *engine) MarkMessages(ctx context.Context, userID string, ids []string, mark store.MessageMark, at time.Time) (int, error) {
	var n int
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		var err error
		n, err = markMessages(tx, userID, ids, func(m *store.OfferMessage) bool { return ledger.Mark(m, mark, at) })
		return err
	})
	return n, err
}

func (s *engine) MerchantActivity(ctx context.Context, merchantID string, from, to time.Time) ([]store.Activity, error) {
	var out []store.Activity
	err := s.db.View(func(tx *bolt.Tx) error {
		scanActivity(tx, merchantID, from, to, func(user string, at time.Time, minor int64, seq uint64) {
			if at.Before(to) {
				out = append(out, store.Activity{UserID: user, At: at, Minor: minor, Seq: seq})
			}
		})
		return nil
	})
	return out, err
}
