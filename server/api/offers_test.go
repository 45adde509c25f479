package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/offer"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet"
)

// offerCrowd adds n opted-in customers straight to the store (a login each would only cost time).
func (s *stack) offerCrowd(n int) {
	s.t.Helper()
	ctx := context.Background()
	for i := range n {
		id := fmt.Sprintf("crowd%03d", i)
		if _, err := s.store.CreateUser(ctx, store.User{ID: id, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", CreatedAt: s.clock.Now()}); err != nil {
			s.t.Fatal(err)
		}
		if err := s.store.PutOfferSettings(ctx, store.OfferSettings{UserID: id, OptedIn: true}); err != nil {
			s.t.Fatal(err)
		}
	}
}

func wantOfferProblem(t *testing.T, what string, err error, code protocol.Code) {
	t.Helper()
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Code != code {
		t.Errorf("%s: %v, want problem %s", what, err, code)
	}
}

var firstTime = json.RawMessage(`{"groups":[[{"type":"first_time"}]]}`)

// TestOffersFlow: the admin issues a merchant token; the merchant screens (refused below the minimum
// audience), launches a campaign; the customer's wallet gets the signed offer from its inbox once
// (long-poll, acknowledgement, de-duplication); the report counts it; tokens rotate and revoke.
func TestOffersFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		sh := s.newShop()
		_ = sh
		if _, err := s.admin.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M2", Name: "Other", Currency: "EUR", MCC: "5812"}); err != nil {
			t.Fatal(err)
		}
		_, err := s.admin.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M3", Name: "Bad", Currency: "EUR", MCC: "58x2"})
		wantOfferProblem(t, "bad mcc", err, protocol.CodeInvalidField)

		issued, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1", Name: "backoffice"})
		if err != nil || !strings.HasPrefix(issued.Token, "spm_") {
			t.Fatalf("issue: %+v %v", issued, err)
		}
		m1 := &admin.Client{BaseURL: s.srv.URL, Token: issued.Token, HTTP: s.srv.Client()}
		_, err = (&admin.Client{BaseURL: s.srv.URL, Token: "spm_forged", HTTP: s.srv.Client()}).Campaigns(ctx)
		wantOfferProblem(t, "forged merchant token", err, protocol.CodeUnauthenticated)
		_, err = (&admin.Client{BaseURL: s.srv.URL, Token: testAdminToken, HTTP: s.srv.Client()}).Campaigns(ctx)
		wantOfferProblem(t, "admin token on the merchant API", err, protocol.CodeUnauthenticated)

		// The wallet: offers are off by default.
		w := wallet.New(wallet.Config{Store: &wallet.MemStore{}, HTTPClient: s.srv.Client(), Clock: s.clock})
		if _, err := w.Login(ctx, s.srv.URL, "alice", "correct horse"); err != nil {
			t.Fatal(err)
		}
		if st, err := w.OfferSettings(ctx); err != nil || st.Offers {
			t.Fatalf("default settings %+v %v, want offers off", st, err)
		}
		campaign := protocol.CampaignRequest{Title: "Coffee on us", Text: "10% off your next visit", Conditions: firstTime,
			Discount: protocol.OfferRule{Kind: "percent", Value: 1000, MinSpend: 500, MaxDiscount: 300}, Days: 7}
		_, err = m1.CreateCampaign(ctx, campaign)
		wantOfferProblem(t, "nobody opted in", err, protocol.CodeAudienceTooSmall)

		s.offerCrowd(49)
		on := true
		if st, err := w.ChangeOfferSettings(ctx, wallet.SettingsChange{Offers: &on, OptOut: []string{"M2"}}); err != nil || !st.Offers || len(st.OptOuts) != 1 {
			t.Fatalf("settings: %+v %v", st, err)
		}
		dry := campaign
		dry.DryRun = true
		if c, err := m1.CreateCampaign(ctx, dry); err != nil || c.Matched != 50 || c.ID != "" || c.Targeted+c.Holdout != 50 {
			t.Fatalf("dry run: %+v %v", c, err)
		}
		if got, _ := w.Inbox(ctx, 0); len(got) != 0 {
			t.Fatalf("a dry run sent %d offers", len(got))
		}
		zero := 0
		campaign.HoldoutBP = &zero
		c, err := m1.CreateCampaign(ctx, campaign)
		if err != nil || c.Targeted != 50 || c.Holdout != 0 || c.State != "active" {
			t.Fatalf("create: %+v %v", c, err)
		}
		if raw, _ := json.Marshal(c); strings.Contains(string(raw), "alice") || strings.Contains(string(raw), "crowd") {
			t.Errorf("the merchant's view names customers: %s", raw)
		}

		got, err := w.Inbox(ctx, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("inbox: %+v %v", got, err)
		}
		o := got[0]
		if o.MerchantID != "M1" || o.Title != "Coffee on us" || o.Kind != "percent" || o.Value != 1000 || !o.ValidUntil.Equal(c.EndsAt.Truncate(time.Second)) {
			t.Errorf("offer %+v", o)
		}
		tok, err := offer.Parse(o.Token)
		if err != nil {
			t.Fatal(err)
		}
		keys := credential.KeySetFrom(s.svc.ServerKeys())
		if err := tok.Verify(keys, s.clock.Now()); err != nil {
			t.Errorf("offer token does not verify with the server keys: %v", err)
		}
		if d, err := tok.Discount("alice", "M1", eur(2000)); err != nil || d != 200 {
			t.Errorf("discount on 20.00: %d %v", d, err)
		}
		if _, err := tok.Discount("crowd001", "M1", eur(2000)); !errors.Is(err, offer.ErrOtherUser) {
			t.Errorf("another user's use: %v", err)
		}
		if err := w.MarkOpened(ctx, []string{o.MessageID}); err != nil {
			t.Fatal(err)
		}
		// Acknowledged: not sent again.
		if again, err := w.Inbox(ctx, 0); err != nil || len(again) != 0 {
			t.Errorf("after the acknowledgement: %+v %v", again, err)
		}
		if held, _ := w.Offers(false); len(held) != 1 {
			t.Errorf("wallet holds %d offers", len(held))
		}
		// The offer rides in the payment code's offer field (payload v2).
		if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice-2", UserID: "alice", OpeningBalance: eur(5000)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Authorize(ctx, wallet.AuthorizeOptions{AccountID: "acc-alice-2", CapPerPayment: eur(1000), Codes: 3, TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		code, err := w.NextCodeWithOffer(o.OfferID)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := payload.Parse(code.Text); err != nil || !bytes.Equal(p.Offer, o.Token) || p.VerifyDevice() != nil {
			t.Errorf("payment code with the offer: %v (offer %x)", err, p.Offer)
		}
		if _, err := w.NextCodeWithOffer("0000000000000000"); !errors.Is(err, wallet.ErrOfferUnknown) {
			t.Errorf("unknown offer: %v", err)
		}

		// Long-poll: a waiting inbox call returns as soon as the next campaign is launched.
		done := make(chan []wallet.Offer, 1)
		go func() {
			got, err := w.Inbox(ctx, 20*time.Second)
			if err != nil {
				t.Error(err)
			}
			done <- got
		}()
		time.Sleep(200 * time.Millisecond)
		start := time.Now()
		if _, err := m1.CreateCampaign(ctx, campaign); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-done:
			if len(got) != 1 {
				t.Errorf("long-poll got %d offers", len(got))
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("long-poll woke after %v", d)
			}
		case <-time.After(25 * time.Second):
			t.Fatal("long-poll never returned")
		}

		// The frequency cap (3 per 7 days): after a third offer, alice is no longer a candidate.
		if _, err := m1.CreateCampaign(ctx, campaign); err != nil {
			t.Fatal(err)
		}
		_, err = m1.CreateCampaign(ctx, campaign)
		wantOfferProblem(t, "everyone capped", err, protocol.CodeAudienceTooSmall)

		rep, err := m1.CampaignReport(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Targeted != 50 || rep.Delivered != 1 || rep.Acked != 1 || rep.Opened != 1 || rep.Treatment.Members != 50 || rep.AbsoluteLift.Defined {
			t.Errorf("report %+v", rep)
		}
		svg, err := m1.CampaignChart(ctx, c.ID)
		if err != nil || !strings.HasPrefix(string(svg), "<svg") {
			t.Errorf("chart: %.80s %v", svg, err)
		}
		if l, err := m1.Campaigns(ctx); err != nil || len(l.Campaigns) != 3 {
			t.Errorf("list: %d %v", len(l.Campaigns), err)
		}

		// Another merchant sees none of it.
		other, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M2"})
		if err != nil {
			t.Fatal(err)
		}
		m2 := &admin.Client{BaseURL: s.srv.URL, Token: other.Token, HTTP: s.srv.Client()}
		_, err = m2.CampaignReport(ctx, c.ID)
		wantOfferProblem(t, "another merchant's report", err, protocol.CodeCampaignNotFound)
		_, err = m2.CancelCampaign(ctx, c.ID)
		wantOfferProblem(t, "another merchant's cancel", err, protocol.CodeCampaignNotFound)
		if cc, err := m1.CancelCampaign(ctx, c.ID); err != nil || cc.State != "cancelled" {
			t.Errorf("cancel: %+v %v", cc, err)
		}

		// Rotation: the new token works, the old one is refused.
		rot, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1", Replaces: issued.ID})
		if err != nil || rot.Replaced != issued.ID {
			t.Fatalf("rotate: %+v %v", rot, err)
		}
		_, err = m1.Campaigns(ctx)
		wantOfferProblem(t, "rotated-out token", err, protocol.CodeUnauthenticated)
		m1.Token = rot.Token
		if _, err := m1.Campaign(ctx, c.ID); err != nil {
			t.Errorf("new token: %v", err)
		}
		if _, err := s.admin.RevokeMerchantToken(ctx, rot.ID); err != nil {
			t.Fatal(err)
		}
		_, err = m1.Campaigns(ctx)
		wantOfferProblem(t, "revoked token", err, protocol.CodeUnauthenticated)
		if l, err := s.admin.MerchantTokens(ctx, "M1"); err != nil || len(l.Tokens) != 2 || l.Tokens[0].RevokedAt.IsZero() || l.Tokens[1].RevokedAt.IsZero() {
			t.Errorf("token list: %+v %v", l, err)
		}
	})
}

// TestOffersBadInput: malformed conditions, absurd discounts and bad inbox calls get typed problems.
func TestOffersBadInput(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	s.newShop()
	issued, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1"})
	if err != nil {
		t.Fatal(err)
	}
	m1 := &admin.Client{BaseURL: s.srv.URL, Token: issued.Token, HTTP: s.srv.Client()}
	ok := protocol.OfferRule{Kind: "percent", Value: 1000}
	for _, c := range []struct {
		name string
		req  protocol.CampaignRequest
		code protocol.Code
	}{
		{"unknown condition field", protocol.CampaignRequest{Title: "x", Discount: ok, Conditions: json.RawMessage(`{"groups":[[{"type":"visits","days":3,"min":1,"where":"1=1"}]]}`)}, protocol.CodeInvalidConditions},
		{"negative window", protocol.CampaignRequest{Title: "x", Discount: ok, Conditions: json.RawMessage(`{"groups":[[{"type":"visits","days":-3,"min":1}]]}`)}, protocol.CodeInvalidConditions},
		{"10,000 conditions", protocol.CampaignRequest{Title: "x", Discount: ok, Conditions: json.RawMessage(`{"groups":[[` + strings.Repeat(`{"type":"returning"},`, 9999) + `{"type":"returning"}]]}`)}, protocol.CodeBodyTooLarge},
		{"100 conditions", protocol.CampaignRequest{Title: "x", Discount: ok, Conditions: json.RawMessage(`{"groups":[[` + strings.Repeat(`{"type":"returning"},`, 99) + `{"type":"returning"}]]}`)}, protocol.CodeInvalidConditions},
		{"no conditions", protocol.CampaignRequest{Title: "x", Discount: ok}, protocol.CodeInvalidConditions},
		{"percent over the policy", protocol.CampaignRequest{Title: "x", Conditions: firstTime, Discount: protocol.OfferRule{Kind: "percent", Value: 9000}}, protocol.CodeDiscountTooLarge},
		{"fixed over the minimum spend", protocol.CampaignRequest{Title: "x", Conditions: firstTime, Discount: protocol.OfferRule{Kind: "fixed", Value: 1000, MinSpend: 500}}, protocol.CodeDiscountTooLarge},
		{"unknown kind", protocol.CampaignRequest{Title: "x", Conditions: firstTime, Discount: protocol.OfferRule{Kind: "bogo", Value: 1}}, protocol.CodeInvalidField},
		{"no title", protocol.CampaignRequest{Conditions: firstTime, Discount: ok}, protocol.CodeInvalidField},
		{"holdout too big", protocol.CampaignRequest{Title: "x", Conditions: firstTime, Discount: ok, HoldoutBP: ptrInt(9000)}, protocol.CodeInvalidField},
		{"window too long", protocol.CampaignRequest{Title: "x", Conditions: firstTime, Discount: ok, Days: 1000}, protocol.CodeInvalidField},
	} {
		_, err := m1.CreateCampaign(ctx, c.req)
		wantOfferProblem(t, c.name, err, c.code)
	}
	_, err = m1.Campaign(ctx, "cmp_nope")
	wantOfferProblem(t, "unknown campaign", err, protocol.CodeCampaignNotFound)
	if code, _ := s.post(protocol.PathMessagesAck, "bearer", "not-a-session", []byte(`{"ids":["x"]}`)); code != 401 {
		t.Errorf("ack without a session: %d", code)
	}
	var p protocol.Problem
	if code, body := s.get(protocol.PathMessages+"?wait=5m", "nobody"); code != 400 || json.Unmarshal(body, &p) != nil || p.Field != "wait" {
		t.Errorf("wait of 5m: %d %s", code, body)
	}
}

func ptrInt(v int) *int { return &v }

// get sends a GET with a bearer token and returns the status and body.
func (s *stack) get(path, token string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}
