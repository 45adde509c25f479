package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// offerState is flow 3's state, made on first use.
type offerState struct {
	tokens    map[string]store.MerchantToken // by id
	settings  map[string]store.OfferSettings
	campaigns map[string]store.Campaign
	members   map[string][]store.CampaignMember // by campaign
	messages  map[string]store.OfferMessage
	inbox     map[string][]string // user → message ids in creation order
}

func (s *engine) off() *offerState {
	if s.offers == nil {
		s.offers = &offerState{tokens: map[string]store.MerchantToken{}, settings: map[string]store.OfferSettings{},
			campaigns: map[string]store.Campaign{}, members: map[string][]store.CampaignMember{},
			messages: map[string]store.OfferMessage{}, inbox: map[string][]string{}}
	}
	return s.offers
}

func (s *engine) CreateMerchantToken(ctx context.Context, t store.MerchantToken) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.merchants[t.MerchantID]; !ok {
		return notFound("merchant %s", t.MerchantID)
	}
	o := s.off()
	for _, x := range o.tokens {
		if x.ID == t.ID || bytes.Equal(x.Hash, t.Hash) {
			return fmt.Errorf("%w: merchant token %s", store.ErrExists, t.ID)
		}
	}
	o.tokens[t.ID] = t
	return nil
}

func (s *engine) GetMerchantToken(ctx context.Context, hash []byte) (store.MerchantToken, error) {
	if err := s.lock(ctx); err != nil {
		return store.MerchantToken{}, err
	}
	defer s.mu.Unlock()
	for _, t := range s.off().tokens {
		if bytes.Equal(t.Hash, hash) {
			return t, nil
		}
	}
	return store.MerchantToken{}, notFound("merchant token")
}

func (s *engine) ListMerchantTokens(ctx context.Context, merchantID string) ([]store.MerchantToken, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.MerchantToken
	for _, t := range s.off().tokens {
		if merchantID == "" || t.MerchantID == merchantID {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b store.MerchantToken) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *engine) RevokeMerchantToken(ctx context.Context, id string, at time.Time) (store.MerchantToken, error) {
	if err := s.lock(ctx); err != nil {
		return store.MerchantToken{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.off().tokens[id]
	if !ok {
		return t, notFound("merchant token %s", id)
	}
	if t.RevokedAt.IsZero() {
		t.RevokedAt = ledger.Norm(at)
		s.offers.tokens[id] = t
	}
	return t, nil
}

func (s *engine) GetOfferSettings(ctx context.Context, userID string) (store.OfferSettings, error) {
	if err := s.lock(ctx); err != nil {
		return store.OfferSettings{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return store.OfferSettings{}, notFound("user %s", userID)
	}
	if v, ok := s.off().settings[userID]; ok {
		return v, nil
	}
	return store.OfferSettings{UserID: userID}, nil
}

func (s *engine) PutOfferSettings(ctx context.Context, v store.OfferSettings) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[v.UserID]; !ok {
		return notFound("user %s", v.UserID)
	}
	s.off().settings[v.UserID] = v
	return nil
}

func (s *engine) Screen(ctx context.Context, q store.ScreenQuery) ([]string, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	sc := ledger.NewScreener(q)
	mccs := q.Set.MCCs()
	for _, t := range s.txns {
		if !ledger.IsActivity(t) {
			continue
		}
		if t.MerchantID == q.MerchantID {
			sc.Visit(t.UserID, t.ApprovedAt, t.Amount.Minor)
		}
		for _, c := range mccs {
			if s.merchants[t.MerchantID].MCC == c.MCC && !t.ApprovedAt.Before(c.Window(q.Now)) && !t.ApprovedAt.After(q.Now) {
				sc.PaidInMCC(c, t.UserID)
			}
		}
	}
	for _, a := range s.auths {
		if ledger.AuthActive(a, q.Now) {
			sc.ActiveAuth(a.UserID)
		}
	}
	o := s.off()
	var out []string
	for _, st := range o.settings {
		if !st.OptedIn || sc.OptedOut(st.OptOuts) {
			continue
		}
		var recent []time.Time
		for _, id := range o.inbox[st.UserID] {
			recent = append(recent, o.messages[id].CreatedAt)
		}
		if !sc.Capped(recent) && sc.Match(st.UserID) {
			out = append(out, st.UserID)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *engine) LaunchCampaign(ctx context.Context, c store.Campaign, members []store.CampaignMember, msgs []store.OfferMessage) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	o := s.off()
	if _, ok := o.campaigns[c.ID]; ok {
		return fmt.Errorf("%w: campaign %s", store.ErrExists, c.ID)
	}
	if _, ok := s.merchants[c.MerchantID]; !ok {
		return notFound("merchant %s", c.MerchantID)
	}
	for _, m := range msgs {
		if _, ok := o.messages[m.ID]; ok {
			return fmt.Errorf("%w: message %s", store.ErrExists, m.ID)
		}
	}
	o.campaigns[c.ID] = c
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b store.CampaignMember) int { return strings.Compare(a.UserID, b.UserID) })
	o.members[c.ID] = ms
	for _, m := range msgs {
		o.messages[m.ID] = m
		o.inbox[m.UserID] = append(o.inbox[m.UserID], m.ID)
	}
	return nil
}

func (s *engine) GetCampaign(ctx context.Context, id string) (store.Campaign, error) {
	if err := s.lock(ctx); err != nil {
		return store.Campaign{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.off().campaigns[id]
	if !ok {
		return c, notFound("campaign %s", id)
	}
	return c, nil
}

func (s *engine) ListCampaigns(ctx context.Context, merchantID string, p store.Page) ([]store.Campaign, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var all []store.Campaign
	for _, c := range s.off().campaigns {
		if c.MerchantID == merchantID && c.ID > p.AfterID {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b store.Campaign) int { return strings.Compare(a.ID, b.ID) })
	return all[:min(len(all), p.Limit)], nil
}

func (s *engine) CancelCampaign(ctx context.Context, id string, at time.Time) (store.Campaign, error) {
	if err := s.lock(ctx); err != nil {
		return store.Campaign{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.off().campaigns[id]
	if !ok {
		return c, notFound("campaign %s", id)
	}
	if c.State != store.CampaignCancelled {
		c.State, c.CancelledAt = store.CampaignCancelled, ledger.Norm(at)
		s.offers.campaigns[id] = c
	}
	return c, nil
}

func (s *engine) CampaignMembers(ctx context.Context, campaignID string) ([]store.CampaignMember, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if _, ok := s.off().campaigns[campaignID]; !ok {
		return nil, notFound("campaign %s", campaignID)
	}
	return slices.Clone(s.offers.members[campaignID]), nil
}

func (s *engine) CampaignMessages(ctx context.Context, campaignID string) ([]store.OfferMessage, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if _, ok := s.off().campaigns[campaignID]; !ok {
		return nil, notFound("campaign %s", campaignID)
	}
	var out []store.OfferMessage
	for _, m := range s.offers.messages {
		if m.CampaignID == campaignID {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.OfferMessage) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

func (s *engine) ListMessages(ctx context.Context, userID string, all bool, n int, now time.Time) ([]store.OfferMessage, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	o := s.off()
	var out []store.OfferMessage
	for _, id := range o.inbox[userID] {
		if len(out) == n {
			break
		}
		m := o.messages[id]
		if !all && !m.AckedAt.IsZero() {
			continue
		}
		if m.DeliveredAt.IsZero() {
			m.DeliveredAt = ledger.Norm(now)
			o.messages[id] = m
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *engine) MarkMessages(ctx context.Context, userID string, ids []string, mark store.MessageMark, at time.Time) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	o := s.off()
	n := 0
	for _, id := range ids {
		m, ok := o.messages[id]
		if ok && m.UserID == userID && ledger.Mark(&m, mark, at) {
			o.messages[id] = m
			n++
		}
	}
	return n, nil
}

func (s *engine) MerchantActivity(ctx context.Context, merchantID string, from, to time.Time) ([]store.Activity, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Activity
	for _, t := range s.txns {
		if ledger.IsActivity(t) && t.MerchantID == merchantID && !t.ApprovedAt.Before(from) && t.ApprovedAt.Before(to) {
			out = append(out, store.Activity{UserID: t.UserID, At: t.ApprovedAt, Minor: t.Amount.Minor, Seq: t.Seq})
		}
	}
	slices.SortFunc(out, func(a, b store.Activity) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.Seq) - int(b.Seq)
	})
	return out, nil
}
