package wallet

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// keyServer serves GET /v1/keys over real HTTP on 127.0.0.1 and counts the calls.
func keyServer(t *testing.T, keys *[]protocol.ServerKey) (url string, calls *atomic.Int32) {
	calls = new(atomic.Int32)
	url = httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != protocol.PathServerKeys {
			http.NotFound(w, r)
			return
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": *keys})
	})
	return url, calls
}

func signedOrder(t *testing.T, keyID string, key ed25519.PrivateKey, expires time.Time) string {
	t.Helper()
	s, err := order.Sign(order.Order{ID: "ord_1", MerchantID: "M-1", MerchantName: "Corner Cafe", City: "Berlin", MCC: "5814",
		Country: "DE", TerminalID: "T-1", Amount: money.Amount{Minor: 1250, Currency: "EUR"}, ExpiresAt: expires}, keyID, key)
	if err != nil {
		t.Fatal(err)
	}
	text, err := s.MPM()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestReadOrderKeys: the wallet trusts the server's keys on first use, learns a rotated key only
// through an endorsement, and refuses an order signed by a key nobody endorsed.
func TestReadOrderKeys(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	_, k1, _ := ed25519.GenerateKey(nil)
	_, k2, _ := ed25519.GenerateKey(nil)
	_, rogue, _ := ed25519.GenerateKey(nil)
	keys := []protocol.ServerKey{{KeyID: "k1", PublicKey: k1.Public().(ed25519.PublicKey), Created: now.Add(-time.Hour), Current: true}}
	url, calls := keyServer(t, &keys)
	store := &MemStore{}
	if err := store.SaveSession(Session{ServerURL: url, UserID: "alice", Token: "t"}); err != nil {
		t.Fatal(err)
	}
	w := New(Config{Store: store, Clock: clocktest.NewFake(now)})
	ctx := context.Background()

	// First use: no trusted key yet, so the list is fetched once and saved.
	s, err := w.ReadOrder(ctx, signedOrder(t, "k1", k1, now.Add(5*time.Minute)))
	if err != nil || s.MerchantName != "Corner Cafe" || s.Amount.Minor != 1250 {
		t.Fatalf("ReadOrder: %+v, %v", s, err)
	}
	if _, err := w.ReadOrder(ctx, signedOrder(t, "k1", k1, now.Add(5*time.Minute))); err != nil || calls.Load() != 1 {
		t.Fatalf("second order: %v, %d key fetches (want 1)", err, calls.Load())
	}

	// A rotation: k2 endorsed by k1 is learned when an order names it; an unendorsed key is not.
	keys = append(keys, protocol.EndorseKey(protocol.ServerKey{KeyID: "k2", PublicKey: k2.Public().(ed25519.PublicKey), Created: now, Current: true}, "k1", k1),
		protocol.ServerKey{KeyID: "k9", PublicKey: rogue.Public().(ed25519.PublicKey), Created: now})
	if _, err := w.ReadOrder(ctx, signedOrder(t, "k2", k2, now.Add(5*time.Minute))); err != nil {
		t.Fatalf("order by the endorsed new key: %v", err)
	}
	saved, _ := store.LoadServerKeys()
	if len(saved) != 2 || saved[1].KeyID != "k2" {
		t.Fatalf("saved keys %+v, want k1 and k2", saved)
	}
	if _, err := w.ReadOrder(ctx, signedOrder(t, "k9", rogue, now.Add(5*time.Minute))); !errors.Is(err, order.ErrUnknownKey) {
		t.Fatalf("order by an unendorsed key: %v, want ErrUnknownKey", err)
	}

	// Expired, forged, and other schemes' codes.
	if _, err := w.ReadOrder(ctx, signedOrder(t, "k1", k1, now)); !errors.Is(err, order.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := w.ReadOrder(ctx, signedOrder(t, "k1", rogue, now.Add(time.Minute))); !errors.Is(err, order.ErrSignature) {
		t.Fatalf("forged with a known key id: %v", err)
	}
	pix := "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
	var other *order.NotStillpayError
	if _, err := w.ReadOrder(ctx, pix); !errors.As(err, &other) || other.Summary.MerchantName != "Fulano de Tal" {
		t.Fatalf("Pix code: %v", err)
	}
}

// TestReadOrderTrustsTheFirstApproval: an authorized wallet checks orders with its first approval's
// keys without asking the server.
func TestReadOrderTrustsTheFirstApproval(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	_, k1, _ := ed25519.GenerateKey(nil)
	store := &MemStore{}
	if err := store.SaveAuthorization(Authorization{ServerKeys: []protocol.ServerKey{{KeyID: "k1", PublicKey: k1.Public().(ed25519.PublicKey)}}}); err != nil {
		t.Fatal(err)
	}
	w := New(Config{Store: store, Clock: clocktest.NewFake(now), HTTPClient: offline(t)})
	if _, err := w.ReadOrder(context.Background(), signedOrder(t, "k1", k1, now.Add(time.Minute))); err != nil {
		t.Fatalf("ReadOrder offline with the first approval's keys: %v", err)
	}
}

// TestCheckPaid: the wallet accepts the server's answer only if the server-signed approval pays
// this order, merchant and amount.
func TestCheckPaid(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	_, rogue, _ := ed25519.GenerateKey(nil)
	keys := []protocol.ServerKey{{KeyID: "k1", PublicKey: key.Public().(ed25519.PublicKey)}}
	eur := money.Amount{Minor: 1250, Currency: "EUR"}
	paidWith := func(a protocol.Approval, signer ed25519.PrivateKey, edit func(*protocol.Order)) protocol.Order {
		sa, err := protocol.SignApproval(a, "k1", signer)
		if err != nil {
			t.Fatal(err)
		}
		o := protocol.Order{OrderID: "ord_1", State: protocol.OrderPaid, Approval: &sa}
		if edit != nil {
			edit(&o)
		}
		return o
	}
	good := protocol.Approval{ApprovalID: "ap-1", ApprovalCode: "ABC123", TerminalID: "T-1", TerminalTxnID: "ord_1", MerchantID: "M-1", Amount: eur}
	if p, err := checkPaid(paidWith(good, key, nil), keys, "ord_1", "M-1", eur); err != nil || p.Approval.ApprovalCode != "ABC123" {
		t.Fatalf("good answer: %+v, %v", p, err)
	}
	other := good
	other.Amount.Minor = 125
	otherOrder := good
	otherOrder.TerminalTxnID = "ord_2"
	otherMerchant := good
	otherMerchant.MerchantID = "M-2"
	cases := []struct {
		name   string
		answer protocol.Order
		want   error
	}{
		{"another amount", paidWith(other, key, nil), ErrBadResponse},
		{"another order's approval", paidWith(otherOrder, key, nil), ErrBadResponse},
		{"another merchant", paidWith(otherMerchant, key, nil), ErrBadResponse},
		{"forged approval", paidWith(good, rogue, nil), protocol.ErrApprovalSignature},
		{"still pending", paidWith(good, key, func(o *protocol.Order) { o.State = protocol.OrderPending }), ErrBadResponse},
		{"no approval", paidWith(good, key, func(o *protocol.Order) { o.Approval = nil }), ErrBadResponse},
		{"another order id", paidWith(good, key, func(o *protocol.Order) { o.OrderID = "ord_2" }), ErrBadResponse},
	}
	for _, tc := range cases {
		if _, err := checkPaid(tc.answer, keys, "ord_1", "M-1", eur); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestConfirmRetriesSameBody: when the connection drops before an answer, the wallet sends the
// identical confirmation again (at most MaxConfirmAttempts times); a refusal is never retried.
func TestConfirmRetriesSameBody(t *testing.T) {
	var bodies []string
	var calls atomic.Int32
	url := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		bodies = append(bodies, string(b[:n]))
		switch calls.Add(1) {
		case 1: // the network fails: the connection closes without an answer
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			w.Header().Set("Content-Type", protocol.ContentTypeProblem)
			w.WriteHeader(http.StatusConflict)
			json.NewEncoder(w).Encode(protocol.Problem{Status: 409, Code: protocol.CodeOrderAlreadyPaid})
		}
	})
	w := New(Config{Store: &MemStore{}})
	err := w.postRetrying(context.Background(), url+"/v1/orders/ord_1/confirm", "tok", map[string]string{"account_id": "A"}, new(protocol.Order))
	if protocol.ProblemCode(err) != protocol.CodeOrderAlreadyPaid || calls.Load() != 2 {
		t.Fatalf("postRetrying: %v after %d calls, want order_already_paid after 2", err, calls.Load())
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || bodies[0] == "" {
		t.Fatalf("bodies %q, want the same body twice", bodies)
	}
}
