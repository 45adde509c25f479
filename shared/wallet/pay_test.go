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
	w := New(Config{Store: store, Clock: ClockFunc(func() time.Time { return now })})
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
	w := New(Config{Store: store, Clock: ClockFunc(func() time.Time { return now }), HTTPClient: offline(t)})
	if _, err := w.ReadOrder(context.Background(), signedOrder(t, "k1", k1, now.Add(time.Minute))); err != nil {
		t.Fatalf("ReadOrder offline with the first approval's keys: %v", err)
	}
}
