package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/push/pushtest"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// lateStore lets the push sender be built before the stack's store exists.
type lateStore struct{ store.Store }

// pushStack is a stack whose service sends Web Push to loopback endpoints.
func pushStack(t *testing.T, kind string) (*stack, *push.Sender) {
	t.Helper()
	ls := &lateStore{}
	sender, err := push.New(push.Config{Store: ls, VAPID: newTestVAPID(t), Contact: "mailto:ops@stillpay.test", RetryDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := newStackWith(t, kind, func(c *service.Config, _ *Config) { c.Push, c.PushLoopback = sender, true })
	ls.Store = s.store
	sender.Start(context.Background())
	t.Cleanup(sender.Close)
	return s, sender
}

func newTestVAPID(t *testing.T) *push.VAPID {
	t.Helper()
	v, err := push.LoadOrCreateVAPID(t.TempDir() + "/" + push.VAPIDKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantStatus(t *testing.T, what string, status int, body []byte, want int, code protocol.Code) {
	t.Helper()
	if status != want {
		t.Fatalf("%s: %d %s, want %d", what, status, body, want)
	}
	if code != "" {
		var p protocol.Problem
		if err := json.Unmarshal(body, &p); err != nil || p.Code != code {
			t.Errorf("%s: %s, want problem %s", what, body, code)
		}
	}
}

// TestWebPushOffer: alice registers two browsers through the API (a live one and one its push
// service answers 410), a crowd customer has one; a campaign launches; the local push receiver gets
// one POST per browser, each with a VAPID JWT signed by the key GET /v1/push/key served for the
// receiver's origin, and decrypts (RFC 8291) the offer's text and that customer's message id; the
// 410 subscription is deleted; alice unsubscribes the other one.
func TestWebPushOffer(t *testing.T) {
	for _, kind := range []string{storeBolt, storePostgres} {
		t.Run(kind, func(t *testing.T) {
			s, sender := pushStack(t, kind)
			testWebPushOffer(t, s, sender)
		})
	}
}

func testWebPushOffer(t *testing.T, s *stack, sender *push.Sender) {
	ctx := context.Background()
	s.newShop()
	s.offerCrowd(49)
	if err := s.store.PutOfferSettings(ctx, store.OfferSettings{UserID: "alice", OptedIn: true}); err != nil {
		t.Fatal(err)
	}
	token, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}

	st, body := s.get(protocol.PathPushKey, "")
	wantStatus(t, "key without a session", st, body, http.StatusUnauthorized, protocol.CodeUnauthenticated)
	st, body = s.get(protocol.PathPushKey, token)
	wantStatus(t, "key", st, body, http.StatusOK, "")
	var key protocol.PushKey
	if err := json.Unmarshal(body, &key); err != nil || key.VAPIDPublicKey != sender.PublicKey() {
		t.Fatalf("served key %s, want %s", body, sender.PublicKey())
	}

	rcv := pushtest.NewReceiver(t)
	phone := rcv.NewBrowser(t, "alice-phone")
	old := rcv.NewBrowser(t, "alice-old", http.StatusGone)
	crowd := rcv.NewBrowser(t, "crowd000")
	for _, b := range []*pushtest.Browser{phone, old} {
		st, body := s.post(protocol.PathPushSubscriptions, "bearer", token, b.SubscriptionJSON())
		wantStatus(t, "register", st, body, http.StatusNoContent, "")
	}
	st, body = s.post(protocol.PathPushSubscriptions, "wallet", "", phone.SubscriptionJSON())
	wantStatus(t, "register without a session", st, body, http.StatusUnauthorized, protocol.CodeUnauthenticated)
	st, body = s.post(protocol.PathPushSubscriptions, "bearer", token, bytes.Replace(phone.SubscriptionJSON(), []byte("127.0.0.1"), []byte("push.example"), 1))
	wantStatus(t, "plain http to another host", st, body, http.StatusBadRequest, protocol.CodeInvalidField)
	st, body = s.post(protocol.PathPushSubscriptions, "bearer", token, []byte(`{"endpoint":1}`))
	wantStatus(t, "malformed", st, body, http.StatusBadRequest, protocol.CodeMalformedJSON)
	st, body = s.post(protocol.PathPushSubscriptions, "bearer", token, bytes.Repeat([]byte(" "), protocol.MaxPushBody+1))
	wantStatus(t, "too large", st, body, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge)
	if err := s.store.PutPushSubscription(ctx, store.PushSubscription{UserID: "crowd000", Endpoint: crowd.Endpoint,
		P256dh: crowd.Key.PublicKey().Bytes(), Auth: crowd.Auth}); err != nil {
		t.Fatal(err)
	}

	issued, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1"})
	if err != nil {
		t.Fatal(err)
	}
	m1 := &admin.Client{BaseURL: s.srv.URL, Token: issued.Token, HTTP: s.srv.Client()}
	c, err := m1.CreateCampaign(ctx, protocol.CampaignRequest{Title: "Coffee on us", Text: "10% off", Conditions: firstTime,
		Discount: protocol.OfferRule{Kind: "percent", Value: 1000}, HoldoutBP: ptrInt(0)})
	if err != nil || c.Targeted != 50 {
		t.Fatalf("campaign %+v %v", c, err)
	}
	merchant, err := s.store.GetMerchant(ctx, "M1")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.store.CampaignMessages(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	byUser := map[string]store.OfferMessage{}
	for _, m := range msgs {
		byUser[m.UserID] = m
	}

	want := map[string]string{phone.Endpoint: "alice", old.Endpoint: "alice", crowd.Endpoint: "crowd000"}
	for range want {
		m, ok := rcv.Next(t, 30*time.Second)
		if !ok {
			t.Fatalf("the push receiver got nothing in 30 s")
		}
		if m.Err != nil {
			t.Fatalf("push to %s: %v", m.Endpoint, m.Err)
		}
		user, ok := want[m.Endpoint]
		if !ok {
			t.Fatalf("a push to %s, which nobody registered (or twice)", m.Endpoint)
		}
		delete(want, m.Endpoint)
		if m.VAPIDKey != key.VAPIDPublicKey || m.Claims.Aud != rcv.URL {
			t.Errorf("VAPID k %s aud %s, want the served key and %s", m.VAPIDKey, m.Claims.Aud, rcv.URL)
		}
		var p push.Payload
		if err := json.Unmarshal(m.Plain, &p); err != nil {
			t.Fatalf("payload %q: %v", m.Plain, err)
		}
		if p.Title != "New offer from "+merchant.Name || p.Body != "Coffee on us" || p.MessageID != byUser[user].ID || p.MessageID == "" {
			t.Errorf("payload to %s: %+v, want the offer of message %s", user, p, byUser[user].ID)
		}
		if tok := byUser[user].Token; bytes.Contains(m.Plain, []byte(base64.StdEncoding.EncodeToString(tok))) ||
			bytes.Contains(m.Plain, []byte(base64.RawURLEncoding.EncodeToString(tok))) || bytes.Contains(m.Plain, tok) {
			t.Errorf("the payload carries the offer token")
		}
	}

	// The 410 answer deletes that subscription (in the background: wait for it, bounded).
	var left []store.PushSubscription
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if left, err = s.store.ListPushSubscriptions(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if len(left) < 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) != 1 || left[0].Endpoint != phone.Endpoint {
		t.Fatalf("alice's subscriptions after the 410: %+v", left)
	}

	unsub, _ := json.Marshal(protocol.PushUnsubscribe{Endpoint: phone.Endpoint})
	st, body = s.post(protocol.PathPushUnsubscribe, "bearer", token, unsub)
	wantStatus(t, "unsubscribe", st, body, http.StatusNoContent, "")
	st, body = s.post(protocol.PathPushUnsubscribe, "bearer", token, unsub)
	wantStatus(t, "unsubscribe again", st, body, http.StatusNoContent, "")
	if left, _ := s.store.ListPushSubscriptions(ctx, "alice"); len(left) != 0 {
		t.Errorf("after unsubscribing: %+v", left)
	}
	if l, _ := s.store.ListPushSubscriptions(ctx, "crowd000"); len(l) != 1 {
		t.Errorf("alice's unsubscribe touched crowd000's: %+v", l)
	}
}

// TestPushOff: a server without a push sender answers the push routes 404 push_unavailable.
func TestPushOff(t *testing.T) {
	s := newStack(t)
	s.newShop()
	token, err := bench.Login(context.Background(), s.srv.Client(), s.srv.URL, "alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	st, body := s.get(protocol.PathPushKey, token)
	wantStatus(t, "key", st, body, http.StatusNotFound, protocol.CodePushUnavailable)
	b := pushtest.NewReceiver(t).NewBrowser(t, "x")
	st, body = s.post(protocol.PathPushSubscriptions, "bearer", token, b.SubscriptionJSON())
	wantStatus(t, "register", st, body, http.StatusNotFound, protocol.CodePushUnavailable)
}
