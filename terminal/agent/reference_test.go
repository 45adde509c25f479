package agent

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// TestStartSaleRefusesReferencesTheServerWouldRefuse: a reference the server's text rule refuses is
// refused before anything is queued, so it can never reach the outbox and hold up the queue.
func TestStartSaleRefusesReferencesTheServerWouldRefuse(t *testing.T) {
	r := newRig(t, "approve")
	ctx := context.Background()
	for _, ref := range []string{"INV\x00-1", "a\nb", "\x1b[2J", "abc\u202edcba", "caf\xc3", strings.Repeat("r", protocol.MaxReferenceLen+1)} {
		_, err := r.ag.StartSale(ctx, money.Amount{Minor: 100, Currency: "EUR"}, ref)
		var fe *protocol.FieldError
		if !errors.Is(err, protocol.ErrInvalidField) || !errors.As(err, &fe) || fe.Field != "reference" {
			t.Errorf("reference %q: %v", ref, err)
		}
	}
	var n int
	r.store.View(ctx, func(tx queue.Tx) error {
		recs, err := tx.Recent(0, 100)
		n = len(recs)
		return err
	})
	if n != 0 {
		t.Fatalf("refused sales left %d queue records", n)
	}
	if v := r.sell(t, 100, r.wallet.Code(now)); v.State != SaleApproved {
		t.Fatalf("a good sale after the refused ones: %+v", v)
	}
}

// TestStartOrderRefusesReferencesTheQRCannotCarry: an order's reference goes into the QR code; one
// the server would refuse (not printable ASCII, longer than the EMVCo field) is refused before any
// order is asked for.
func TestStartOrderRefusesReferencesTheQRCannotCarry(t *testing.T) {
	fake := newFakeOrders(nil)
	r := newOrderRig(t, fake, nil)
	ctx := context.Background()
	for _, ref := range []string{"Café", "a\x00b", strings.Repeat("r", protocol.MaxOrderReferenceLen+1)} {
		_, err := r.ag.StartOrder(ctx, eur(100), ref, 0)
		var fe *protocol.FieldError
		if !errors.As(err, &fe) || fe.Field != "reference" {
			t.Errorf("order reference %q: %v", ref, err)
		}
	}
	fake.mu.Lock()
	n := len(fake.byID)
	fake.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d orders were asked for", n)
	}
	if _, err := r.ag.StartOrder(ctx, eur(100), "TABLE 4", 0); err != nil {
		t.Fatalf("a printable ASCII reference: %v", err)
	}
}
