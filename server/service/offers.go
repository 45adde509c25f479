package service

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/lift"
	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/protocol"
)

// OfferPolicy is what the operator allows merchants (flow 3, docs/offers.md). The zero value of a
// field takes its default.
type OfferPolicy struct {
	MinAudience      int           // matched customers below this are refused (default 50)
	CapCount         int           // offers a customer gets per CapWindow, across merchants (default 3)
	CapWindow        time.Duration // default 7 days
	DefaultHoldoutBP int           // default 1000 (10%)
	MaxHoldoutBP     int           // default 5000 (50%)
	MaxPercentBP     int64         // the largest percent discount (default 5000: 50%)
}

// DefaultOfferPolicy is the built-in offer policy.
func DefaultOfferPolicy() OfferPolicy {
	return OfferPolicy{MinAudience: 50, CapCount: 3, CapWindow: 7 * 24 * time.Hour, DefaultHoldoutBP: 1000, MaxHoldoutBP: 5000, MaxPercentBP: 5000}
}

func (p OfferPolicy) withDefaults() OfferPolicy {
	d := DefaultOfferPolicy()
	if p.MinAudience <= 0 {
		p.MinAudience = d.MinAudience
	}
	if p.CapCount <= 0 {
		p.CapCount = d.CapCount
	}
	if p.CapWindow <= 0 {
		p.CapWindow = d.CapWindow
	}
	if p.DefaultHoldoutBP <= 0 {
		p.DefaultHoldoutBP = d.DefaultHoldoutBP
	}
	if p.MaxHoldoutBP <= 0 {
		p.MaxHoldoutBP = d.MaxHoldoutBP
	}
	if p.MaxPercentBP <= 0 || p.MaxPercentBP > offer.MaxPercentBP {
		p.MaxPercentBP = d.MaxPercentBP
	}
	return p
}

// merchantTokenPrefix starts every merchant API token, so one is recognisable in a config file.
const merchantTokenPrefix = "spm_"

// IssueMerchantToken issues a merchant API token (stored by hash; the secret is in the answer only)
// and, with req.Replaces, then revokes the token it replaces (rotation).
func (s *Service) IssueMerchantToken(ctx context.Context, req admin.MerchantTokenRequest) (admin.MerchantTokenIssued, error) {
	if err := checkID("merchant_id", req.MerchantID); err != nil {
		return admin.MerchantTokenIssued{}, err
	}
	if err := checkText("name", req.Name, protocol.MaxNameLen); err != nil {
		return admin.MerchantTokenIssued{}, err
	}
	if req.Replaces != "" {
		old, err := s.merchantTokenByID(ctx, req.Replaces)
		if err != nil {
			return admin.MerchantTokenIssued{}, err
		}
		if old.MerchantID != req.MerchantID {
			return admin.MerchantTokenIssued{}, invalidField("replaces", "token %s belongs to another merchant", req.Replaces)
		}
	}
	secret, err := newID(merchantTokenPrefix, 32)
	if err != nil {
		return admin.MerchantTokenIssued{}, err
	}
	id, err := newID("mt_", 8)
	if err != nil {
		return admin.MerchantTokenIssued{}, err
	}
	t := store.MerchantToken{ID: id, MerchantID: req.MerchantID, Hash: tokenHash([]byte(secret)), Name: req.Name, CreatedAt: s.clock.Now()}
	if err := s.store.CreateMerchantToken(ctx, t); err != nil {
		return admin.MerchantTokenIssued{}, storeProblem(err, "merchant "+req.MerchantID)
	}
	out := admin.MerchantTokenIssued{MerchantToken: toAdminToken(t), Token: secret}
	if req.Replaces != "" {
		if _, err := s.store.RevokeMerchantToken(ctx, req.Replaces, s.clock.Now()); err != nil {
			return out, storeProblem(err, "merchant token "+req.Replaces)
		}
		out.Replaced = req.Replaces
	}
	s.log.Info("merchant token issued", "merchant_id", t.MerchantID, "token_id", t.ID, "replaces", req.Replaces)
	return out, nil
}

func (s *Service) merchantTokenByID(ctx context.Context, id string) (store.MerchantToken, error) {
	list, err := s.store.ListMerchantTokens(ctx, "")
	if err != nil {
		return store.MerchantToken{}, err
	}
	for _, t := range list {
		if t.ID == id {
			return t, nil
		}
	}
	return store.MerchantToken{}, problem(http.StatusNotFound, protocol.CodeNotFound, "merchant token %s not found", truncate(id))
}

func toAdminToken(t store.MerchantToken) admin.MerchantToken {
	return admin.MerchantToken{ID: t.ID, MerchantID: t.MerchantID, Name: t.Name, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt}
}

// MerchantTokens lists tokens (never their secrets).
func (s *Service) MerchantTokens(ctx context.Context, merchantID string) (admin.MerchantTokens, error) {
	list, err := s.store.ListMerchantTokens(ctx, merchantID)
	out := admin.MerchantTokens{Tokens: []admin.MerchantToken{}}
	for _, t := range list {
		out.Tokens = append(out.Tokens, toAdminToken(t))
	}
	return out, err
}

// RevokeMerchantToken revokes a token at once.
func (s *Service) RevokeMerchantToken(ctx context.Context, id string) (admin.MerchantToken, error) {
	if err := checkID("id", id); err != nil {
		return admin.MerchantToken{}, err
	}
	t, err := s.store.RevokeMerchantToken(ctx, id, s.clock.Now())
	if err != nil {
		return admin.MerchantToken{}, storeProblem(err, "merchant token "+id)
	}
	s.log.Info("merchant token revoked", "merchant_id", t.MerchantID, "token_id", t.ID)
	return toAdminToken(t), nil
}

// MerchantOf authenticates a merchant API call: the merchant whose live token bearer is.
func (s *Service) MerchantOf(ctx context.Context, bearer string) (string, error) {
	unauth := problem(http.StatusUnauthorized, protocol.CodeUnauthenticated, "the merchant API needs a live merchant token (settlementd admin merchant token issue)")
	if !strings.HasPrefix(bearer, merchantTokenPrefix) || len(bearer) > protocol.MaxMerchantTokenLen+len(merchantTokenPrefix) {
		return "", unauth
	}
	t, err := s.store.GetMerchantToken(ctx, tokenHash([]byte(bearer)))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", unauth
	case err != nil:
		return "", fmt.Errorf("service: merchant token: %w", err)
	case !t.RevokedAt.IsZero():
		return "", problem(http.StatusUnauthorized, protocol.CodeUnauthenticated, "this merchant token was revoked")
	}
	return t.MerchantID, nil
}

// offerRule checks a campaign's discount and turns it into a token rule.
func (s *Service) offerRule(r protocol.OfferRule) (offer.Rule, error) {
	var rule offer.Rule
	switch r.Kind {
	case "percent":
		rule.Kind = offer.KindPercent
		if r.Value < 1 || r.Value > s.offers.MaxPercentBP {
			p := problem(http.StatusBadRequest, protocol.CodeDiscountTooLarge, "a percent discount is 1 to %d basis points (%d%%)", s.offers.MaxPercentBP, s.offers.MaxPercentBP/100)
			p.Field = "discount.value"
			return rule, p
		}
	case "fixed":
		rule.Kind = offer.KindFixed
		if r.Value < 1 || r.Value > offer.MaxMinor {
			p := problem(http.StatusBadRequest, protocol.CodeDiscountTooLarge, "a fixed discount is 1 to %d minor units", int64(offer.MaxMinor))
			p.Field = "discount.value"
			return rule, p
		}
	default:
		return rule, invalidField("discount.kind", "discount kind must be \"percent\" or \"fixed\"")
	}
	if r.MinSpend < 0 || r.MinSpend > offer.MaxMinor {
		return rule, invalidField("discount.min_spend", "min_spend is 0 to %d minor units", int64(offer.MaxMinor))
	}
	if r.MaxDiscount < 0 || r.MaxDiscount > offer.MaxMinor {
		return rule, invalidField("discount.max_discount", "max_discount is 0 to %d minor units", int64(offer.MaxMinor))
	}
	if rule.Kind == offer.KindFixed && r.MinSpend > 0 && r.Value >= r.MinSpend {
		p := problem(http.StatusBadRequest, protocol.CodeDiscountTooLarge, "a fixed discount of %d is not less than the minimum spend %d", r.Value, r.MinSpend)
		p.Field = "discount.value"
		return rule, p
	}
	rule.Value, rule.MinSpend, rule.MaxDiscount = r.Value, r.MinSpend, r.MaxDiscount
	return rule, nil
}

// CreateCampaign screens the opted-in customers with the merchant's conditions, refuses an audience
// below the minimum, splits it into treatment and holdout by keyed hash, and puts a signed offer
// into each treatment customer's inbox. The merchant learns counts only.
func (s *Service) CreateCampaign(ctx context.Context, merchantID string, req protocol.CampaignRequest) (protocol.Campaign, error) {
	if err := fieldProblem(protocol.CheckRequiredText("title", req.Title, store.MaxTitleLen)); err != nil {
		return protocol.Campaign{}, err
	}
	if err := checkText("text", req.Text, store.MaxTextLen); err != nil {
		return protocol.Campaign{}, err
	}
	set, err := screen.DecodeBytes(req.Conditions)
	if err != nil {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidConditions, "%v", err)
		p.Field = "conditions"
		return protocol.Campaign{}, p
	}
	rule, err := s.offerRule(req.Discount)
	if err != nil {
		return protocol.Campaign{}, err
	}
	days := req.Days
	if days == 0 {
		days = protocol.DefaultCampaignDays
	}
	if days < 1 || days > protocol.MaxCampaignDays {
		return protocol.Campaign{}, invalidField("days", "days is 1 to %d", protocol.MaxCampaignDays)
	}
	holdoutBP := s.offers.DefaultHoldoutBP
	if req.HoldoutBP != nil {
		holdoutBP = *req.HoldoutBP
	}
	if holdoutBP < 0 || holdoutBP > s.offers.MaxHoldoutBP {
		return protocol.Campaign{}, invalidField("holdout_bp", "holdout_bp is 0 to %d basis points", s.offers.MaxHoldoutBP)
	}
	m, err := s.store.GetMerchant(ctx, merchantID)
	if err != nil {
		return protocol.Campaign{}, storeProblem(err, "merchant "+merchantID)
	}
	now := s.clock.Now()
	users, err := s.store.Screen(ctx, store.ScreenQuery{MerchantID: merchantID, Set: set, Now: now,
		CapCount: s.offers.CapCount, CapWindow: s.offers.CapWindow})
	if err != nil {
		return protocol.Campaign{}, fmt.Errorf("service: screen: %w", err)
	}
	if len(users) < s.offers.MinAudience {
		// The count itself is withheld: a small number would single people out.
		return protocol.Campaign{}, problem(http.StatusUnprocessableEntity, protocol.CodeAudienceTooSmall,
			"fewer than %d customers match these conditions; widen them", s.offers.MinAudience)
	}
	id, err := newID("cmp_", 8)
	if err != nil {
		return protocol.Campaign{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return protocol.Campaign{}, fmt.Errorf("service: holdout key: %w", err)
	}
	c := store.Campaign{ID: id, MerchantID: merchantID, Title: req.Title, Text: req.Text, Conditions: set, Currency: m.Currency,
		RuleKind: req.Discount.Kind, RuleValue: rule.Value, MinSpend: rule.MinSpend, MaxDiscount: rule.MaxDiscount,
		HoldoutBP: holdoutBP, HoldoutKey: key, StartsAt: now, EndsAt: now.Add(time.Duration(days) * 24 * time.Hour),
		State: store.CampaignActive, Matched: len(users), CreatedAt: now}
	members := make([]store.CampaignMember, len(users))
	var msgs []store.OfferMessage
	keyID, priv := s.keys.Current()
	for i, u := range users {
		hold := lift.InHoldout(key, id, u, holdoutBP)
		members[i] = store.CampaignMember{CampaignID: id, UserID: u, Holdout: hold}
		if hold {
			c.Holdout++
			continue
		}
		c.Targeted++
		if req.DryRun {
			continue
		}
		var tid [offer.IDLen]byte
		if _, err := rand.Read(tid[:]); err != nil {
			return protocol.Campaign{}, fmt.Errorf("service: offer id: %w", err)
		}
		tok, err := offer.Sign(offer.Token{ID: tid, UserHash: offer.Bind(u), MerchHash: offer.Bind(merchantID), Currency: m.Currency,
			Rule: rule, ValidFrom: now, ValidUntil: c.EndsAt}, keyID, priv)
		if err != nil {
			return protocol.Campaign{}, fmt.Errorf("service: sign offer: %w", err)
		}
		msgs = append(msgs, store.OfferMessage{ID: "msg_" + tok.IDString(), UserID: u, CampaignID: id, MerchantID: merchantID,
			Title: req.Title, Text: req.Text, Token: tok.Marshal(), TokenID: tok.IDString(), CreatedAt: now})
	}
	if req.DryRun {
		v := campaignView(c)
		v.DryRun, v.ID = true, ""
		return v, nil
	}
	if err := s.store.LaunchCampaign(ctx, c, members, msgs); err != nil {
		return protocol.Campaign{}, storeProblem(err, "campaign "+id)
	}
	s.inbox.notify()
	s.announceOffers(m.Name, c.Title, msgs)
	s.log.Info("campaign launched", "merchant_id", merchantID, "campaign_id", id, "matched", c.Matched, "targeted", c.Targeted, "holdout", c.Holdout)
	return campaignView(c), nil
}

// campaignView is the merchant's view: counts, never accounts or the holdout key.
func campaignView(c store.Campaign) protocol.Campaign {
	cond, _ := json.Marshal(c.Conditions)
	return protocol.Campaign{ID: c.ID, MerchantID: c.MerchantID, Title: c.Title, Text: c.Text, Conditions: cond,
		Discount: protocol.OfferRule{Kind: c.RuleKind, Value: c.RuleValue, MinSpend: c.MinSpend, MaxDiscount: c.MaxDiscount},
		Currency: c.Currency, HoldoutBP: c.HoldoutBP, StartsAt: c.StartsAt, EndsAt: c.EndsAt, State: string(c.State),
		Matched: c.Matched, Targeted: c.Targeted, Holdout: c.Holdout, CreatedAt: c.CreatedAt, CancelledAt: c.CancelledAt}
}

// merchantCampaign loads a campaign of this merchant; another merchant's is "not found".
func (s *Service) merchantCampaign(ctx context.Context, merchantID, id string) (store.Campaign, error) {
	notFound := problem(http.StatusNotFound, protocol.CodeCampaignNotFound, "no campaign %s of this merchant", truncate(id))
	if protocol.CheckID("id", id) != nil {
		return store.Campaign{}, notFound
	}
	c, err := s.store.GetCampaign(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && c.MerchantID != merchantID {
		return store.Campaign{}, notFound
	}
	return c, err
}

// Campaigns lists a merchant's campaigns.
func (s *Service) Campaigns(ctx context.Context, merchantID string, p store.Page) (protocol.CampaignList, error) {
	list, err := s.store.ListCampaigns(ctx, merchantID, p)
	out := protocol.CampaignList{Campaigns: []protocol.Campaign{}}
	for _, c := range list {
		out.Campaigns = append(out.Campaigns, campaignView(c))
	}
	return out, err
}

// Campaign shows one of the merchant's campaigns.
func (s *Service) Campaign(ctx context.Context, merchantID, id string) (protocol.Campaign, error) {
	c, err := s.merchantCampaign(ctx, merchantID, id)
	return campaignView(c), err
}

// CancelCampaign stops a campaign: its offers are no longer honoured online.
func (s *Service) CancelCampaign(ctx context.Context, merchantID, id string) (protocol.Campaign, error) {
	if _, err := s.merchantCampaign(ctx, merchantID, id); err != nil {
		return protocol.Campaign{}, err
	}
	c, err := s.store.CancelCampaign(ctx, id, s.clock.Now())
	if err != nil {
		return protocol.Campaign{}, storeProblem(err, "campaign "+id)
	}
	s.log.Info("campaign cancelled", "merchant_id", merchantID, "campaign_id", id)
	return campaignView(c), nil
}

// CampaignReport measures a campaign against its holdout (server/lift): purchases at the merchant by
// the members in [StartsAt, min(EndsAt, now)).
func (s *Service) CampaignReport(ctx context.Context, merchantID, id string) (admin.CampaignReport, error) {
	c, err := s.merchantCampaign(ctx, merchantID, id)
	if err != nil {
		return admin.CampaignReport{}, err
	}
	members, err := s.store.CampaignMembers(ctx, id)
	if err != nil {
		return admin.CampaignReport{}, fmt.Errorf("service: report: %w", err)
	}
	msgs, err := s.store.CampaignMessages(ctx, id)
	if err != nil {
		return admin.CampaignReport{}, fmt.Errorf("service: report: %w", err)
	}
	end := c.EndsAt
	if now := s.clock.Now(); now.Before(end) {
		end = now
	}
	if !end.After(c.StartsAt) {
		end = c.StartsAt.Add(time.Microsecond)
	}
	acts, err := s.store.MerchantActivity(ctx, merchantID, c.StartsAt, end)
	if err != nil {
		return admin.CampaignReport{}, fmt.Errorf("service: report: %w", err)
	}
	lm := make([]lift.Member, len(members))
	for i, m := range members {
		lm[i] = lift.Member{UserID: m.UserID, Holdout: m.Holdout}
	}
	buys := make([]lift.Purchase, len(acts))
	for i, a := range acts {
		buys[i] = lift.Purchase{UserID: a.UserID, At: a.At, Minor: a.Minor}
	}
	r := admin.CampaignReport{Campaign: campaignView(c), Targeted: c.Targeted, HeldOut: c.Holdout, WindowEnd: end,
		Report: lift.Compute(lm, buys, c.StartsAt, end)}
	for _, m := range msgs {
		if !m.DeliveredAt.IsZero() {
			r.Delivered++
		}
		if !m.OpenedAt.IsZero() {
			r.Opened++
		}
		if !m.AckedAt.IsZero() {
			r.Acked++
		}
	}
	if r.Redeemed, err = s.redeemed(ctx, merchantID, msgs); err != nil {
		return admin.CampaignReport{}, fmt.Errorf("service: report: %w", err)
	}
	return r, nil
}

// CampaignChart is the report's conversion chart as SVG.
func (s *Service) CampaignChart(ctx context.Context, merchantID, id string) ([]byte, error) {
	r, err := s.CampaignReport(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	return lift.Chart(fmt.Sprintf("%s — conversion, treatment vs holdout", r.Campaign.Title), r.Days), nil
}

// --- wallet side ---

// GetOfferSettings returns the session user's offer settings.
func (s *Service) GetOfferSettings(ctx context.Context, bearer string) (protocol.OfferSettings, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.OfferSettings{}, err
	}
	v, err := s.store.GetOfferSettings(ctx, sess.UserID)
	if err != nil {
		return protocol.OfferSettings{}, storeProblem(err, "user "+sess.UserID)
	}
	return protocol.OfferSettings{Offers: v.OptedIn, OptOuts: nonNilStrings(v.OptOuts)}, nil
}

// PutOfferSettings replaces the session user's offer settings.
func (s *Service) PutOfferSettings(ctx context.Context, bearer string, req protocol.OfferSettings) (protocol.OfferSettings, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.OfferSettings{}, err
	}
	if len(req.OptOuts) > store.MaxOptOuts {
		return protocol.OfferSettings{}, invalidField("opt_outs", "at most %d merchants", store.MaxOptOuts)
	}
	for _, m := range req.OptOuts {
		if err := checkID("opt_outs", m); err != nil {
			return protocol.OfferSettings{}, err
		}
	}
	v := store.OfferSettings{UserID: sess.UserID, OptedIn: req.Offers, OptOuts: req.OptOuts, UpdatedAt: s.clock.Now()}
	if err := s.store.PutOfferSettings(ctx, v); err != nil {
		return protocol.OfferSettings{}, storeProblem(err, "user "+sess.UserID)
	}
	return s.GetOfferSettings(ctx, bearer)
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// inboxPoll is how often a waiting inbox request looks at the store: launches on other instances
// do not wake this one's waiters.
const inboxPoll = 2 * time.Second

// Inbox returns the session user's unacknowledged messages (all with all set). With wait > 0 and
// nothing pending it waits up to wait for a message (long-poll). Every message stays pending until
// acknowledged: delivery is at least once, and the wallet drops duplicates by message id.
func (s *Service) Inbox(ctx context.Context, bearer string, all bool, wait time.Duration) (protocol.Inbox, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.Inbox{}, err
	}
	if wait < 0 || wait > protocol.MaxMessagesWait {
		return protocol.Inbox{}, invalidField("wait", "wait is 0 to %s", protocol.MaxMessagesWait)
	}
	deadline := time.Now().Add(wait)
	for {
		woken := s.inbox.wait()
		msgs, err := s.store.ListMessages(ctx, sess.UserID, all, store.MaxPageSize, s.clock.Now())
		if err != nil {
			return protocol.Inbox{}, fmt.Errorf("service: inbox: %w", err)
		}
		left := time.Until(deadline)
		if len(msgs) > 0 || left <= 0 {
			out := protocol.Inbox{Messages: make([]protocol.Message, len(msgs))}
			for i, m := range msgs {
				out.Messages[i] = protocol.Message{ID: m.ID, CampaignID: m.CampaignID, MerchantID: m.MerchantID, Title: m.Title,
					Text: m.Text, Offer: m.Token, OfferID: m.TokenID, CreatedAt: m.CreatedAt, DeliveredAt: m.DeliveredAt,
					OpenedAt: m.OpenedAt, AckedAt: m.AckedAt}
			}
			return out, nil
		}
		t := time.NewTimer(min(left, inboxPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return protocol.Inbox{}, ctx.Err()
		case <-woken:
		case <-t.C:
		}
		t.Stop()
	}
}

// Ack acknowledges messages of the session user, or marks them opened.
func (s *Service) Ack(ctx context.Context, bearer string, req protocol.AckRequest) (protocol.AckResponse, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.AckResponse{}, err
	}
	if len(req.IDs) == 0 || len(req.IDs) > store.MaxMessageIDs {
		return protocol.AckResponse{}, invalidField("ids", "1 to %d message ids", store.MaxMessageIDs)
	}
	for _, id := range req.IDs {
		if err := checkID("ids", id); err != nil {
			return protocol.AckResponse{}, err
		}
	}
	mark := store.MarkAcked
	if req.Opened {
		mark = store.MarkOpened
	}
	n, err := s.store.MarkMessages(ctx, sess.UserID, req.IDs, mark, s.clock.Now())
	if err != nil {
		return protocol.AckResponse{}, storeProblem(err, "messages")
	}
	return protocol.AckResponse{Changed: n}, nil
}

// notifier wakes inbox long-polls of this instance when a campaign is launched here.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}
