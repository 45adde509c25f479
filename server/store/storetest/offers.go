package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
)

// offerNow is the screening clock of the offers tests.
var offerNow = t0.Add(time.Hour)

func daysAgo(d int) time.Time { return offerNow.Add(-time.Duration(d) * screen.Day) }

func n64(v int64) *int64 { return &v }

// offerCast builds the population the screening tests reason about (times relative to offerNow):
//
//	U1: M1 at −1d (1000), −5d (800), −40d (500); opted in; active authorization
//	U2: M1 at −100d (300); opted in; authorization revoked
//	U3: M2 (same MCC 5812 as M1) at −3d; opted in; authorization expired
//	U4: M3 (MCC 5411) at −3d; opted in but opted out of M1
//	U5: M1 at −2d, −3d; opted in; already got an offer a day ago (capped when the cap is 1)
//	U6: M1 at −1d, −2d (and a voided payment at −1d); never opted in
//	U7: opted in; never paid; no authorization
func offerCast(f *fx) {
	f.t.Helper()
	for _, m := range []store.Merchant{{ID: "M1", MCC: "5812"}, {ID: "M2", MCC: "5812"}, {ID: "M3", MCC: "5411"}} {
		m.Name, m.Currency, m.CreatedAt = "Shop "+m.ID, "EUR", t0
		if _, err := f.s.CreateMerchant(f.ctx, m); err != nil {
			f.t.Fatal(err)
		}
		f.terminal("T"+m.ID, m.ID)
	}
	visits := map[string][]struct {
		m     string
		d     int
		minor int64
	}{
		"U1": {{"M1", 1, 1000}, {"M1", 5, 800}, {"M1", 40, 500}},
		"U2": {{"M1", 100, 300}},
		"U3": {{"M2", 3, 700}},
		"U4": {{"M3", 3, 700}},
		"U5": {{"M1", 2, 100}, {"M1", 3, 100}},
		"U6": {{"M1", 1, 100}, {"M1", 2, 100}},
		"U7": nil,
	}
	n := 0
	for _, u := range []string{"U1", "U2", "U3", "U4", "U5", "U6", "U7"} {
		f.user(u)
		f.account("A"+u, u, "EUR", 100_000)
		if u == "U7" {
			continue
		}
		expires := t0.Add(24 * time.Hour)
		if u == "U3" {
			expires = t0.Add(30 * time.Minute)
		}
		f.auth("Z"+u, u, "A"+u, "EUR", 1000, 5, expires)
		for i, v := range visits[u] {
			n++
			out := f.apply1(offline(pay("T"+v.m, "x"+u+string(rune('a'+i)), "Z"+u, uint64(i), eur(v.minor), t0), daysAgo(v.d)))
			if !out.Approved() {
				f.t.Fatalf("fixture payment %s %d: %+v", u, i, out)
			}
		}
		if u == "U6" {
			// A voided payment is not activity: it must not count anywhere.
			f.apply1(offline(pay("TM1", "xU6v", "ZU6", 4, eur(5000), t0), daysAgo(1)))
			if out := f.apply1(void("TM1", "vU6", "xU6v", t0)); !out.Approved() {
				f.t.Fatalf("fixture void: %+v", out)
			}
		}
		if u != "U6" {
			f.settings(store.OfferSettings{UserID: u, OptedIn: true})
		}
	}
	f.settings(store.OfferSettings{UserID: "U7", OptedIn: true})
	f.settings(store.OfferSettings{UserID: "U4", OptedIn: true, OptOuts: []string{"M9", "M1"}})
	if _, err := f.s.RevokeAuthorization(f.ctx, "ZU2", t0); err != nil {
		f.t.Fatal(err)
	}
	// U5's earlier offer, from M2.
	c := store.Campaign{ID: "C0", MerchantID: "M2", Title: "t", Conditions: screen.Set{Groups: []screen.Group{{{Type: screen.Returning}}}},
		CreatedAt: daysAgo(1)}
	err := f.s.LaunchCampaign(f.ctx, c, []store.CampaignMember{{CampaignID: "C0", UserID: "U5"}},
		[]store.OfferMessage{{ID: "msg-c0-u5", UserID: "U5", CampaignID: "C0", MerchantID: "M2", Title: "t", CreatedAt: daysAgo(1)}})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fx) settings(s store.OfferSettings) {
	f.t.Helper()
	if err := f.s.PutOfferSettings(f.ctx, s); err != nil {
		f.t.Fatalf("PutOfferSettings(%s): %v", s.UserID, err)
	}
}

// screenCases is what every store must answer on offerCast with a cap of one offer per 7 days.
var screenCases = []struct {
	name string
	set  [][]screen.Condition
	want []string
}{
	{"visits ≥ 2 in 30d", [][]screen.Condition{{{Type: screen.Visits, Days: 30, Min: n64(2)}}}, []string{"U1"}},
	{"visits ≤ 1 in 30d", [][]screen.Condition{{{Type: screen.Visits, Days: 30, Max: n64(1)}}}, []string{"U2", "U3", "U7"}},
	{"first time", [][]screen.Condition{{{Type: screen.FirstTime}}}, []string{"U3", "U7"}},
	{"returning", [][]screen.Condition{{{Type: screen.Returning}}}, []string{"U1", "U2"}},
	{"days since last visit ≥ 60", [][]screen.Condition{{{Type: screen.DaysSinceLastVisit, Min: n64(60)}}}, []string{"U2"}},
	{"days since last visit ≤ 1", [][]screen.Condition{{{Type: screen.DaysSinceLastVisit, Max: n64(1)}}}, []string{"U1"}},
	{"spend ≥ 1800 in 30d", [][]screen.Condition{{{Type: screen.Spend, Days: 30, Min: n64(1800)}}}, []string{"U1"}},
	{"spend ≥ 1801 in 30d", [][]screen.Condition{{{Type: screen.Spend, Days: 30, Min: n64(1801)}}}, nil},
	{"mcc 5812 in 7d", [][]screen.Condition{{{Type: screen.MCC, MCC: "5812", Days: 7}}}, []string{"U1", "U3"}},
	{"mcc 5411 in 7d", [][]screen.Condition{{{Type: screen.MCC, MCC: "5411", Days: 7}}}, nil}, // U4 opted out of M1
	{"active authorization", [][]screen.Condition{{{Type: screen.ActiveAuthorization}}}, []string{"U1"}},
	{"OR of ANDs", [][]screen.Condition{
		{{Type: screen.FirstTime}, {Type: screen.MCC, MCC: "5812", Days: 7}},
		{{Type: screen.Visits, Days: 30, Max: n64(0)}, {Type: screen.Returning}},
	}, []string{"U2", "U3"}},
}

func toSet(groups [][]screen.Condition) screen.Set {
	var s screen.Set
	for _, g := range groups {
		s.Groups = append(s.Groups, screen.Group(g))
	}
	return s
}

func testOfferScreening(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	offerCast(f)
	for _, c := range screenCases {
		got, err := f.s.Screen(f.ctx, store.ScreenQuery{MerchantID: "M1", Set: toSet(c.set), Now: offerNow, CapCount: 1, CapWindow: 7 * screen.Day})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: audience %v, want %v", c.name, got, c.want)
		}
	}
	// Without the cap U5 is a candidate again; with a cap of 2 too (one offer so far).
	for _, capCount := range []int{0, 2} {
		got, err := f.s.Screen(f.ctx, store.ScreenQuery{MerchantID: "M1", Now: offerNow, CapCount: capCount, CapWindow: 7 * screen.Day,
			Set: toSet([][]screen.Condition{{{Type: screen.Visits, Days: 30, Min: n64(2)}}})})
		if err != nil || !slices.Equal(got, []string{"U1", "U5"}) {
			t.Errorf("cap %d: %v, %v; want [U1 U5]", capCount, got, err)
		}
	}
	_, err := f.s.Screen(f.ctx, store.ScreenQuery{MerchantID: "M1", Now: offerNow})
	wantErr(t, "screen without conditions", err, store.ErrInvalidArgument)

	acts, err := f.s.MerchantActivity(f.ctx, "M1", daysAgo(30), offerNow)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	var total int64
	for i, a := range acts {
		users = append(users, a.UserID)
		total += a.Minor
		if i > 0 && a.At.Before(acts[i-1].At) {
			t.Errorf("activity not in time order: %v", acts)
		}
	}
	if len(acts) != 6 || total != 1000+800+100+100+100+100 || !acts[0].At.Equal(daysAgo(5)) {
		t.Errorf("M1 activity in 30 days: %d payments, %d minor (%v), want 6, 2200", len(acts), total, users)
	}
	f.check()
}

func testOfferRecords(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.merchant("M1", "EUR")
	f.user("U1")
	f.user("U2")

	tok := store.MerchantToken{ID: "mt1", MerchantID: "M1", Hash: hash("secret1"), CreatedAt: t0}
	if err := f.s.CreateMerchantToken(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "same id", f.s.CreateMerchantToken(f.ctx, store.MerchantToken{ID: "mt1", MerchantID: "M1", Hash: hash("x"), CreatedAt: t0}), store.ErrExists)
	wantErr(t, "same hash", f.s.CreateMerchantToken(f.ctx, store.MerchantToken{ID: "mt2", MerchantID: "M1", Hash: hash("secret1"), CreatedAt: t0}), store.ErrExists)
	wantErr(t, "unknown merchant", f.s.CreateMerchantToken(f.ctx, store.MerchantToken{ID: "mt3", MerchantID: "M9", Hash: hash("y"), CreatedAt: t0}), store.ErrNotFound)
	got, err := f.s.GetMerchantToken(f.ctx, hash("secret1"))
	if err != nil || got.MerchantID != "M1" || got.ID != "mt1" || !got.RevokedAt.IsZero() {
		t.Fatalf("GetMerchantToken: %+v, %v", got, err)
	}
	_, err = f.s.GetMerchantToken(f.ctx, hash("nope"))
	wantErr(t, "unknown hash", err, store.ErrNotFound)
	if r, err := f.s.RevokeMerchantToken(f.ctx, "mt1", t0.Add(time.Hour)); err != nil || !r.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	if r, _ := f.s.RevokeMerchantToken(f.ctx, "mt1", t0.Add(2*time.Hour)); !r.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("second revoke moved the time: %v", r.RevokedAt)
	}
	if got, _ := f.s.GetMerchantToken(f.ctx, hash("secret1")); got.RevokedAt.IsZero() {
		t.Errorf("revocation not stored")
	}
	if l, err := f.s.ListMerchantTokens(f.ctx, "M1"); err != nil || len(l) != 1 {
		t.Errorf("ListMerchantTokens: %v %v", l, err)
	}

	if s, err := f.s.GetOfferSettings(f.ctx, "U1"); err != nil || s.OptedIn || s.UserID != "U1" {
		t.Errorf("default settings: %+v %v (want not opted in)", s, err)
	}
	_, err = f.s.GetOfferSettings(f.ctx, "U9")
	wantErr(t, "settings of unknown user", err, store.ErrNotFound)
	f.settings(store.OfferSettings{UserID: "U1", OptedIn: true, OptOuts: []string{"M3", "M2", "M3"}, UpdatedAt: t0})
	if s, _ := f.s.GetOfferSettings(f.ctx, "U1"); !s.OptedIn || !slices.Equal(s.OptOuts, []string{"M2", "M3"}) {
		t.Errorf("settings: %+v", s)
	}
	wantErr(t, "settings of unknown user", f.s.PutOfferSettings(f.ctx, store.OfferSettings{UserID: "U9"}), store.ErrNotFound)

	c := store.Campaign{ID: "C1", MerchantID: "M1", Title: "Coffee", Text: "10% off", Currency: "EUR", RuleKind: "percent",
		RuleValue: 1000, HoldoutBP: 1000, Conditions: toSet([][]screen.Condition{{{Type: screen.Returning}}}),
		StartsAt: t0, EndsAt: t0.Add(14 * screen.Day), Matched: 2, Targeted: 1, Holdout: 1, CreatedAt: t0}
	members := []store.CampaignMember{{CampaignID: "C1", UserID: "U2", Holdout: true}, {CampaignID: "C1", UserID: "U1"}}
	msgs := []store.OfferMessage{{ID: "m1", UserID: "U1", CampaignID: "C1", MerchantID: "M1", Title: "Coffee", Token: []byte{1, 2},
		TokenID: "0102", CreatedAt: t0}}
	if err := f.s.LaunchCampaign(f.ctx, c, members, msgs); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "launch twice", f.s.LaunchCampaign(f.ctx, c, members, msgs), store.ErrExists)
	if g, err := f.s.GetCampaign(f.ctx, "C1"); err != nil || g.State != store.CampaignActive || g.Targeted != 1 || len(g.Conditions.Groups) != 1 {
		t.Errorf("GetCampaign: %+v %v", g, err)
	}
	if l, err := f.s.ListCampaigns(f.ctx, "M1", store.Page{}); err != nil || len(l) != 1 {
		t.Errorf("ListCampaigns: %v %v", l, err)
	}
	if l, _ := f.s.ListCampaigns(f.ctx, "M2", store.Page{}); len(l) != 0 {
		t.Errorf("another merchant's campaigns: %v", l)
	}
	if m, err := f.s.CampaignMembers(f.ctx, "C1"); err != nil || len(m) != 2 || m[0].UserID != "U1" || !m[1].Holdout {
		t.Errorf("CampaignMembers: %+v %v", m, err)
	}

	inbox, err := f.s.ListMessages(f.ctx, "U1", false, 0, t0.Add(time.Minute))
	if err != nil || len(inbox) != 1 || inbox[0].ID != "m1" || !inbox[0].DeliveredAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("inbox: %+v %v", inbox, err)
	}
	if again, _ := f.s.ListMessages(f.ctx, "U1", false, 0, t0.Add(2*time.Minute)); len(again) != 1 || !again[0].DeliveredAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("redelivery must keep the first delivery time: %+v", again)
	}
	if n, err := f.s.MarkMessages(f.ctx, "U2", []string{"m1"}, store.MarkAcked, t0); err != nil || n != 0 {
		t.Errorf("another user acked m1: %d %v", n, err)
	}
	if n, _ := f.s.MarkMessages(f.ctx, "U1", []string{"m1", "nope"}, store.MarkOpened, t0.Add(3*time.Minute)); n != 1 {
		t.Errorf("open: %d", n)
	}
	if n, _ := f.s.MarkMessages(f.ctx, "U1", []string{"m1"}, store.MarkAcked, t0.Add(3*time.Minute)); n != 1 {
		t.Errorf("ack: %d", n)
	}
	if n, _ := f.s.MarkMessages(f.ctx, "U1", []string{"m1"}, store.MarkAcked, t0.Add(4*time.Minute)); n != 0 {
		t.Errorf("second ack changed %d", n)
	}
	if l, _ := f.s.ListMessages(f.ctx, "U1", false, 0, t0); len(l) != 0 {
		t.Errorf("acked message still pending: %+v", l)
	}
	if l, _ := f.s.ListMessages(f.ctx, "U1", true, 0, t0); len(l) != 1 || !l[0].OpenedAt.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("all messages: %+v", l)
	}
	if m, err := f.s.CampaignMessages(f.ctx, "C1"); err != nil || len(m) != 1 || m[0].AckedAt.IsZero() || m[0].DeliveredAt.IsZero() {
		t.Errorf("CampaignMessages: %+v %v", m, err)
	}
	if g, err := f.s.CancelCampaign(f.ctx, "C1", t0.Add(time.Hour)); err != nil || g.State != store.CampaignCancelled {
		t.Errorf("cancel: %+v %v", g, err)
	}
	if g, _ := f.s.CancelCampaign(f.ctx, "C1", t0.Add(2*time.Hour)); !g.CancelledAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("second cancel moved the time")
	}
	_, err = f.s.GetCampaign(f.ctx, "C9")
	wantErr(t, "unknown campaign", err, store.ErrNotFound)
}
