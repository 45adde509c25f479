package ledger

import (
	"fmt"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
)

// PrepareMerchantToken validates a merchant token and normalises its times.
func PrepareMerchantToken(t store.MerchantToken) (store.MerchantToken, error) {
	t.CreatedAt = Now(t.CreatedAt)
	t.RevokedAt = Norm(t.RevokedAt)
	if err := ValidID("token id", t.ID); err != nil {
		return t, err
	}
	if err := ValidID("merchant id", t.MerchantID); err != nil {
		return t, err
	}
	if len(t.Hash) == 0 || len(t.Hash) > store.MaxHashLen {
		return t, fmt.Errorf("%w: token hash of %d bytes", store.ErrInvalidArgument, len(t.Hash))
	}
	return t, validName("token name", t.Name)
}

// PrepareOfferSettings validates settings, sorts and de-duplicates the opt-outs.
func PrepareOfferSettings(s store.OfferSettings) (store.OfferSettings, error) {
	s.UpdatedAt = Now(s.UpdatedAt)
	if err := ValidID("user id", s.UserID); err != nil {
		return s, err
	}
	s.OptOuts = slices.Compact(slices.Sorted(slices.Values(s.OptOuts)))
	if len(s.OptOuts) > store.MaxOptOuts {
		return s, fmt.Errorf("%w: %d opt-outs, at most %d", store.ErrInvalidArgument, len(s.OptOuts), store.MaxOptOuts)
	}
	for _, m := range s.OptOuts {
		if err := ValidID("merchant id", m); err != nil {
			return s, err
		}
	}
	if len(s.OptOuts) == 0 {
		s.OptOuts = nil
	}
	return s, nil
}

// PrepareCampaign validates what a store needs of a campaign and its audience.
func PrepareCampaign(c store.Campaign, members []store.CampaignMember, msgs []store.OfferMessage) (store.Campaign, []store.OfferMessage, error) {
	c.CreatedAt = Now(c.CreatedAt)
	c.StartsAt, c.EndsAt, c.CancelledAt = Norm(c.StartsAt), Norm(c.EndsAt), Norm(c.CancelledAt)
	if c.State == "" {
		c.State = store.CampaignActive
	}
	if err := ValidID("campaign id", c.ID); err != nil {
		return c, nil, err
	}
	if err := ValidID("merchant id", c.MerchantID); err != nil {
		return c, nil, err
	}
	if len(c.Title) > store.MaxTitleLen || len(c.Text) > store.MaxTextLen {
		return c, nil, fmt.Errorf("%w: title or text too long", store.ErrInvalidArgument)
	}
	if err := c.Conditions.Validate(); err != nil {
		return c, nil, fmt.Errorf("%w: %w", store.ErrInvalidArgument, err)
	}
	if len(members) > store.MaxCampaignMembers || len(msgs) > len(members) {
		return c, nil, fmt.Errorf("%w: %d members, %d messages", store.ErrInvalidArgument, len(members), len(msgs))
	}
	out := make([]store.OfferMessage, len(msgs))
	for i, m := range msgs {
		m.CreatedAt = Now(m.CreatedAt)
		m.DeliveredAt, m.OpenedAt, m.AckedAt = Norm(m.DeliveredAt), Norm(m.OpenedAt), Norm(m.AckedAt)
		if err := ValidID("message id", m.ID); err != nil {
			return c, nil, err
		}
		if m.CampaignID != c.ID || m.MerchantID != c.MerchantID {
			return c, nil, fmt.Errorf("%w: message %s of another campaign", store.ErrInvalidArgument, m.ID)
		}
		out[i] = m
	}
	return c, out, nil
}

// Mark sets the time mark names on m if it is not set yet and reports whether it changed.
func Mark(m *store.OfferMessage, mark store.MessageMark, at time.Time) bool {
	p := &m.AckedAt
	if mark == store.MarkOpened {
		p = &m.OpenedAt
	}
	if !p.IsZero() {
		return false
	}
	*p = Norm(at)
	return true
}

// ValidMark checks a MarkMessages call.
func ValidMark(ids []string, mark store.MessageMark) error {
	if mark != store.MarkOpened && mark != store.MarkAcked {
		return fmt.Errorf("%w: mark %q", store.ErrInvalidArgument, mark)
	}
	if len(ids) > store.MaxMessageIDs {
		return fmt.Errorf("%w: %d message ids, at most %d", store.ErrInvalidArgument, len(ids), store.MaxMessageIDs)
	}
	return nil
}

// ValidScreenQuery checks a screening query.
func ValidScreenQuery(q store.ScreenQuery) error {
	if err := ValidID("merchant id", q.MerchantID); err != nil {
		return err
	}
	if err := q.Set.Validate(); err != nil {
		return fmt.Errorf("%w: %w", store.ErrInvalidArgument, err)
	}
	if q.CapCount < 0 || q.CapWindow < 0 {
		return fmt.Errorf("%w: negative frequency cap", store.ErrInvalidArgument)
	}
	return nil
}

// Screener evaluates a screening in Go for the stores that do not screen in SQL: they feed it the
// candidates' facts from their indexes.
type Screener struct {
	Q        store.ScreenQuery
	visits   map[string][]screen.Visit
	mccUsers map[screen.Condition]map[string]bool
	active   map[string]bool
}

// NewScreener starts a screening.
func NewScreener(q store.ScreenQuery) *Screener {
	return &Screener{Q: q, visits: map[string][]screen.Visit{}, mccUsers: map[screen.Condition]map[string]bool{}, active: map[string]bool{}}
}

// NeedsMerchantActivity, NeedsAuthorizations say which facts the set asks about.
func (s *Screener) NeedsAuthorizations() bool { return s.has(screen.ActiveAuthorization) }

func (s *Screener) has(k screen.Kind) bool {
	for _, g := range s.Q.Set.Groups {
		for _, c := range g {
			if c.Type == k {
				return true
			}
		}
	}
	return false
}

// Visit adds a payment at the campaign's merchant.
func (s *Screener) Visit(userID string, at time.Time, minor int64) {
	s.visits[userID] = append(s.visits[userID], screen.Visit{At: at, Minor: minor})
}

// PaidInMCC records that a user satisfies an (mcc, days) condition of the set.
func (s *Screener) PaidInMCC(c screen.Condition, userID string) {
	m := s.mccUsers[c]
	if m == nil {
		m = map[string]bool{}
		s.mccUsers[c] = m
	}
	m[userID] = true
}

// ActiveAuth records that a user holds an active authorization.
func (s *Screener) ActiveAuth(userID string) { s.active[userID] = true }

// Capped reports whether recent (the times of a user's offer messages) reaches the frequency cap.
func (s *Screener) Capped(recent []time.Time) bool {
	if s.Q.CapCount <= 0 {
		return false
	}
	from := s.Q.Now.Add(-s.Q.CapWindow)
	n := 0
	for _, t := range recent {
		if t.After(from) && !t.After(s.Q.Now) {
			n++
		}
	}
	return n >= s.Q.CapCount
}

// OptedOut reports whether optOuts (sorted) names the campaign's merchant.
func (s *Screener) OptedOut(optOuts []string) bool {
	_, found := slices.BinarySearch(optOuts, s.Q.MerchantID)
	return found
}

// Match evaluates the set for one candidate that is opted in, not opted out and under the cap.
func (s *Screener) Match(userID string) bool {
	return s.Q.Set.Eval(screen.Facts{
		Visits:     s.visits[userID],
		PaidInMCC:  func(c screen.Condition) bool { return s.mccUsers[c][userID] },
		ActiveAuth: s.active[userID],
	}, s.Q.Now)
}

// AuthActive reports whether an authorization is usable at now (neither expired nor revoked).
func AuthActive(a store.Authorization, now time.Time) bool {
	return now.Before(a.ExpiresAt) && (a.RevokedAt.IsZero() || now.Before(a.RevokedAt))
}

// IsActivity reports whether a txn belongs in the merchant activity index: an approved payment not
// voided.
func IsActivity(t store.Txn) bool {
	return t.Kind == store.OpPayment && t.Status == store.StatusApproved && !t.Tombstone && t.VoidedBy == "" &&
		t.MerchantID != "" && t.UserID != ""
}
