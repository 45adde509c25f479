package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/push/pushtest"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/memstore"
)

func newVAPID(t *testing.T) *push.VAPID {
	t.Helper()
	v, err := push.LoadOrCreateVAPID(filepath.Join(t.TempDir(), push.VAPIDKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func subscribe(t *testing.T, st store.Store, user string, b *pushtest.Browser, at time.Time) {
	t.Helper()
	if err := st.PutPushSubscription(context.Background(), store.PushSubscription{UserID: user, Endpoint: b.Endpoint,
		P256dh: b.Key.PublicKey().Bytes(), Auth: b.Auth, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
}

// TestSender: one worker, so requests come in order: U1's subscriptions by endpoint (a refused one
// once, a gone one once and then deleted, a failing one MaxAttempts times, a flaky one until it
// answers, a good one), then U2's marker. Every request carries a VAPID JWT signed by the served key
// and a body the receiver decrypts to the offer's text.
func TestSender(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	for _, u := range []string{"U1", "U2"} {
		if _, err := st.CreateUser(ctx, store.User{ID: u, Name: u, PasswordHash: "x", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	rcv := pushtest.NewReceiver(t)
	refused := rcv.NewBrowser(t, "a-refused", http.StatusBadRequest)
	gone := rcv.NewBrowser(t, "b-gone", http.StatusGone)
	failing := rcv.NewBrowser(t, "c-failing", http.StatusInternalServerError)
	flaky := rcv.NewBrowser(t, "d-flaky", http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusCreated)
	good := rcv.NewBrowser(t, "e-good")
	marker := rcv.NewBrowser(t, "marker")
	now := time.Now()
	for _, b := range []*pushtest.Browser{refused, gone, failing, flaky, good} {
		subscribe(t, st, "U1", b, now)
	}
	subscribe(t, st, "U2", marker, now)

	var logs bytes.Buffer
	v := newVAPID(t)
	s, err := push.New(push.Config{Store: st, VAPID: v, Contact: "mailto:ops@stillpay.test", RetryDelay: time.Millisecond,
		Workers: 1, Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	if err := s.Enqueue([]push.Notice{{UserID: "U1", MessageID: "msg_1", Merchant: "Café Zürich", Title: "10% off coffee"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue([]push.Notice{{UserID: "U2", MessageID: "msg_2", Merchant: "Shop", Title: "marker"}}); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for {
		m, ok := rcv.Next(t, 20*time.Second)
		if !ok {
			t.Fatalf("no push request after %v; so far %v", 20*time.Second, counts)
		}
		if m.Err != nil {
			t.Fatalf("request to %s: %v", m.Endpoint, m.Err)
		}
		if m.VAPIDKey != s.PublicKey() || m.VAPIDKey != v.PublicKey() || m.Claims.Sub != "mailto:ops@stillpay.test" {
			t.Errorf("VAPID k %s sub %q, want the served key %s and mailto:ops@stillpay.test", m.VAPIDKey, m.Claims.Sub, v.PublicKey())
		}
		var p push.Payload
		if err := json.Unmarshal(m.Plain, &p); err != nil {
			t.Fatalf("payload %q: %v", m.Plain, err)
		}
		counts[m.Endpoint]++
		if m.Endpoint == marker.Endpoint {
			if p.MessageID != "msg_2" {
				t.Errorf("marker payload %+v", p)
			}
			break
		}
		if p != (push.Payload{Type: "offer", Title: "New offer from Café Zürich", Body: "10% off coffee", Merchant: "Café Zürich", MessageID: "msg_1"}) {
			t.Errorf("payload %+v", p)
		}
	}
	want := map[string]int{refused.Endpoint: 1, gone.Endpoint: 1, failing.Endpoint: push.MaxAttempts, flaky.Endpoint: 3,
		good.Endpoint: 1, marker.Endpoint: 1}
	for e, n := range want {
		if counts[e] != n {
			t.Errorf("%s got %d requests, want %d", e, counts[e], n)
		}
	}
	s.Close()
	subs, err := st.ListPushSubscriptions(ctx, "U1")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range subs {
		left = append(left, p.Endpoint)
	}
	if !slices.Equal(left, []string{refused.Endpoint, failing.Endpoint, flaky.Endpoint, good.Endpoint}) {
		t.Errorf("left %v: want only the 410 one deleted", left)
	}
	// No endpoint path (a capability) and no subscription key in the logs.
	for _, secret := range append(append(encodings(good.Auth), encodings(good.Key.PublicKey().Bytes())...), "/push/") {
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("logs mention %q:\n%s", secret, logs.String())
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"push: giving up"`)) || !bytes.Contains(logs.Bytes(), []byte(`"push: subscription gone, deleted"`)) {
		t.Errorf("logs lack the give-up or the deletion:\n%s", logs.String())
	}
	if err := s.Enqueue([]push.Notice{{UserID: "U1"}}); !errors.Is(err, push.ErrQueueFull) {
		t.Errorf("Enqueue after Close: %v", err)
	}
}

// TestEnqueueDoesNotBlock: with the queue full, Enqueue refuses at once instead of waiting.
func TestEnqueueDoesNotBlock(t *testing.T) {
	s, err := push.New(push.Config{Store: memstore.New(), VAPID: newVAPID(t), Contact: "https://stillpay.test/contact", Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue([]push.Notice{{UserID: "U1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue([]push.Notice{{UserID: "U1"}}); !errors.Is(err, push.ErrQueueFull) {
		t.Errorf("second Enqueue on a full queue: %v", err)
	}
	s.Close()
}

func TestNewRefusesBadContact(t *testing.T) {
	for _, c := range []string{"", "ops@stillpay.test", "mailto:", "http://stillpay.test", "mailto:a b@c"} {
		if _, err := push.New(push.Config{Store: memstore.New(), VAPID: newVAPID(t), Contact: c}); !errors.Is(err, push.ErrConfig) {
			t.Errorf("contact %q: %v", c, err)
		}
	}
}

// TestVAPIDKeyFile: created 0600 once, the same key after a reload, never shown by String or a log,
// and a group-readable file refused.
func TestVAPIDKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), push.VAPIDKeyFile)
	a, err := push.LoadOrCreateVAPID(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file %v %v", fi, err)
	}
	b, err := push.LoadOrCreateVAPID(path)
	if err != nil || b.PublicKey() != a.PublicKey() {
		t.Fatalf("reloaded key %v %v", b, err)
	}
	if len(a.PublicKey()) != 87 || a.PublicKey()[0] != 'B' {
		t.Errorf("public key %q is not an unpadded base64url uncompressed point", a.PublicKey())
	}
	raw, _ := os.ReadFile(path)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("key", "vapid", a)
	for _, shown := range []string{a.String(), logs.String()} {
		for _, enc := range encodings(raw) {
			if bytes.Contains([]byte(shown), []byte(enc)) {
				t.Errorf("%q shows the private key", shown)
			}
		}
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := push.LoadOrCreateVAPID(path); err == nil {
		t.Errorf("a group-readable key file was accepted")
	}
}
