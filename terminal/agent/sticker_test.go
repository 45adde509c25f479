package agent

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/queue"
)

// fakeFeed is the server's order feed: it lists every order it holds above after, and can ignore
// the cursor (a server that sends an order again) or forge approvals.
type fakeFeed struct {
	iss *paytest.Issuer

	mu           sync.Mutex
	orders       []protocol.Order
	ignoreCursor bool
	forge        bool
	afters       []uint64
}

func (f *fakeFeed) OrderFeed(ctx context.Context, after uint64, wait time.Duration) (protocol.OrderFeed, error) {
	f.mu.Lock()
	f.afters = append(f.afters, after)
	var out []protocol.Order
	next := after
	for _, o := range f.orders {
		if o.Seq > after || f.ignoreCursor {
			out = append(out, o)
			next = max(next, o.Seq)
		}
	}
	f.mu.Unlock()
	if len(out) == 0 {
		select {
		case <-ctx.Done():
			return protocol.OrderFeed{}, errNetDown
		case <-time.After(20 * time.Millisecond):
		}
	}
	return protocol.OrderFeed{Orders: out, Next: next}, nil
}

func (f *fakeFeed) Sticker(context.Context) (protocol.Sticker, error) {
	return protocol.Sticker{StickerID: "stk_1", TerminalID: "T-1", MPM: "000201010211stillpay-sticker6304ABCD"}, nil
}

// pay adds a paid sticker payment (static) and, as the lane's own orders appear in the feed too,
// a dynamic one the feed must ignore.
func (f *fakeFeed) pay(t *testing.T, minor int64) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	seq := uint64(len(f.orders) + 1)
	id := fmt.Sprintf("ord_static%020d", seq)
	ap := protocol.Approval{ApprovalID: "PAY-" + id, ApprovalCode: "ST1CKR", TerminalID: "T-1", TerminalTxnID: id, MerchantID: "M-1",
		Amount: eur(minor), MaskedCustomer: "bo***b", ApprovedAt: now}
	f.orders = append(f.orders,
		protocol.Order{OrderID: id, Kind: protocol.OrderStatic, TerminalID: "T-1", Amount: eur(minor), State: protocol.OrderPaid, Seq: seq,
			Approval: signApproval(t, f.iss, ap, f.forge)},
		protocol.Order{OrderID: id + "dyn", Kind: protocol.OrderDynamic, TerminalID: "T-1", Amount: eur(minor), State: protocol.OrderPending, Seq: seq + 1000})
	return id
}

func newStickerRig(t *testing.T, feed *fakeFeed, store *queue.Memory) (*rig, context.CancelFunc) {
	r := newRig(t, "approve", func(r *rig, o *Options) {
		if feed.iss == nil {
			feed.iss = r.iss
		}
		o.Identity.ServerKeys, o.Keys = feed.iss.ServerKeys(), nil
		o.Orders, o.Stickers = newFakeOrders(feed.iss), feed
		if store != nil {
			r.store, o.Store = store, store
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.ag.RunStickerFeed(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return r, stop
}

func TestStickerPaymentPrintedOnce(t *testing.T) {
	feed := &fakeFeed{}
	store := queue.NewMemory()
	r, stop := newStickerRig(t, feed, store)
	id := feed.pay(t, 480)
	v := waitOrder(t, r.ag, id, reported(OrderPaid))
	if !v.Sticker || v.Customer != "bo***b" || v.ApprovalCode != "ST1CKR" || r.prn.jobsWith("PAID - CONFIRMED") != 1 {
		t.Fatalf("sticker payment: %+v, %d receipts", v, r.prn.jobsWith("PAID - CONFIRMED"))
	}
	if _, err := r.ag.Order(context.Background(), id+"dyn"); err == nil {
		t.Fatal("a dynamic order of the feed was taken in as a sticker payment")
	}
	stop()
	r.ag.Close()

	// The lane restarts: the cursor is durable, and a server that sends the payment again does not
	// make it print twice.
	feed.mu.Lock()
	feed.ignoreCursor = true
	feed.mu.Unlock()
	r2, _ := newStickerRig(t, feed, store)
	second := feed.pay(t, 120)
	waitOrder(t, r2.ag, second, reported(OrderPaid))
	if n, _ := r2.ag.ResumeOrders(context.Background()); n != 0 {
		t.Fatalf("%d orders left to follow", n)
	}
	if got := r2.prn.jobsWith("PAID - CONFIRMED"); got != 1 {
		t.Fatalf("after the restart %d receipts printed, want only the new payment's", got)
	}
	feed.mu.Lock()
	defer feed.mu.Unlock()
	if feed.afters[len(feed.afters)-1] < 2 {
		t.Fatalf("the cursor did not move: asked after %v", feed.afters)
	}
}

func TestStickerForgedApprovalNotTaken(t *testing.T) {
	feed := &fakeFeed{forge: true}
	r, _ := newStickerRig(t, feed, nil)
	id := feed.pay(t, 480)
	time.Sleep(300 * time.Millisecond)
	if _, err := r.ag.Order(context.Background(), id); err == nil || r.prn.jobsWith("PAID") != 0 {
		t.Fatalf("a forged sticker payment was taken in: %v", err)
	}
}

func TestPrintSticker(t *testing.T) {
	feed := &fakeFeed{}
	r, _ := newStickerRig(t, feed, nil)
	st, status, err := r.ag.PrintSticker(context.Background())
	if err != nil || status != PrintPrinted || st.StickerID != "stk_1" || r.prn.jobsWith(st.MPM) != 1 {
		t.Fatalf("sticker: %+v %s %v", st, status, err)
	}
}
