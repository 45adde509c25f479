package offline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/queue"
)

// TestMarkSeen: the one seen-code rule the online and offline paths share. The same sale may mark
// its code and offer again (a decision repeated after a crash); another sale is declined with the
// code's own problem code; a sale without an offer marks nothing for it.
func TestMarkSeen(t *testing.T) {
	iss := paytest.NewIssuer()
	p := parse(t, iss.Authorize("alice", "A-1", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour).Code(now))
	offer := AppliedOffer{TokenID: "of_1", ValidUntil: now.Add(time.Hour)}
	s := queue.NewMemory()
	mark := func(txnID string, o AppliedOffer) error {
		return s.Update(context.Background(), func(tx queue.Tx) error {
			if err := MarkCodeSeen(tx, p, txnID); err != nil {
				return err
			}
			return MarkOfferSeen(tx, o, txnID)
		})
	}
	for _, c := range []struct {
		name  string
		txnID string
		offer AppliedOffer
		want  protocol.Code // "" is no decline
	}{
		{"first use", "T-1-000000001", offer, ""},
		{"the same sale again", "T-1-000000001", offer, ""},
		{"another sale, same code", "T-1-000000002", AppliedOffer{}, protocol.CodeCodeUsed},
	} {
		err := mark(c.txnID, c.offer)
		var d *Decline
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (!errors.As(err, &d) || d.Code != c.want || !errors.Is(err, ErrDeclined)):
			t.Errorf("%s: got %v, want a %s decline", c.name, err, c.want)
		}
	}
	// The offer alone: a new code (another payload) with the redeemed offer is declined.
	p2 := parse(t, iss.Authorize("bob", "A-2", "EUR", 5000, 5, now.Add(-time.Hour), 24*time.Hour).Code(now))
	err := s.Update(context.Background(), func(tx queue.Tx) error {
		if err := MarkCodeSeen(tx, p2, "T-1-000000003"); err != nil {
			return err
		}
		return MarkOfferSeen(tx, offer, "T-1-000000003")
	})
	var d *Decline
	if !errors.As(err, &d) || d.Code != protocol.CodeOfferAlreadyUsed {
		t.Fatalf("offer redeemed twice: %v", err)
	}
}
