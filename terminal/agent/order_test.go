package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/queue"
)

// fakeOrders keeps orders the way settlementd does: one per terminal order id, a long poll that
// answers on a change, cancel refused once paid. down makes every call fail like a dead network.
type fakeOrders struct {
	iss *paytest.Issuer

	mu      sync.Mutex
	down    bool
	forge   bool // sign approvals with a key the terminal does not trust
	byID    map[string]*protocol.Order
	byTerm  map[string]string
	creates []protocol.OrderRequest
	changed chan struct{}
}

func newFakeOrders(iss *paytest.Issuer) *fakeOrders {
	return &fakeOrders{iss: iss, byID: map[string]*protocol.Order{}, byTerm: map[string]string{}, changed: make(chan struct{})}
}

var errNetDown = &client.UnreachableError{Attempts: 3, MaybeSent: true, Err: errors.New("connection reset")}

func (f *fakeOrders) CreateOrder(ctx context.Context, req protocol.OrderRequest) (protocol.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, req)
	if f.down {
		return protocol.Order{}, errNetDown
	}
	if req.Amount.Minor > 50000 {
		return protocol.Order{}, &protocol.Problem{Status: 400, Code: protocol.CodeInvalidAmount, Detail: "over the maximum"}
	}
	if id, ok := f.byTerm[req.TerminalOrderID]; ok {
		return *f.byID[id], nil
	}
	id := fmt.Sprintf("ord_%026d", len(f.byID)+1)
	ttl := time.Duration(req.ExpiresInSeconds) * time.Second
	if ttl == 0 {
		ttl = protocol.DefaultOrderTTL
	}
	o := &protocol.Order{OrderID: id, Kind: protocol.OrderDynamic, TerminalID: "T-1", TerminalOrderID: req.TerminalOrderID,
		MerchantID: "M-1", MerchantName: "Corner Shop", Amount: req.Amount, Reference: req.Reference, State: protocol.OrderPending,
		CreatedAt: now, ExpiresAt: now.Add(ttl), MPM: "000201010212" + id + "6304ABCD"}
	f.byID[id], f.byTerm[req.TerminalOrderID] = o, id
	return *o, nil
}

func (f *fakeOrders) Order(ctx context.Context, id string, wait time.Duration) (protocol.Order, error) {
	deadline := time.After(wait)
	for {
		f.mu.Lock()
		if f.down {
			f.mu.Unlock()
			return protocol.Order{}, errNetDown
		}
		o, ok := f.byID[id]
		if !ok {
			f.mu.Unlock()
			return protocol.Order{}, &protocol.Problem{Status: 404, Code: protocol.CodeOrderNotFound}
		}
		cur, ch := *o, f.changed
		f.mu.Unlock()
		if cur.State != protocol.OrderPending || wait == 0 {
			return cur, nil
		}
		select {
		case <-ch:
		case <-deadline:
			return cur, nil
		case <-ctx.Done():
			return protocol.Order{}, &client.UnreachableError{Attempts: 1, MaybeSent: true, Err: ctx.Err()}
		}
	}
}

func (f *fakeOrders) CancelOrder(ctx context.Context, id string) (protocol.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return protocol.Order{}, errNetDown
	}
	o := f.byID[id]
	switch o.State {
	case protocol.OrderPaid:
		return protocol.Order{}, &protocol.Problem{Status: 409, Code: protocol.CodeOrderAlreadyPaid}
	case protocol.OrderPending:
		o.State = protocol.OrderCancelled
		f.notifyLocked()
	}
	return *o, nil
}

func (f *fakeOrders) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// set changes an order at the server: the customer pays, or it expires.
func (f *fakeOrders) set(t *testing.T, terminalOrderID, state string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.byID[f.byTerm[terminalOrderID]]
	if o == nil {
		t.Fatalf("no order %s at the server", terminalOrderID)
	}
	o.State = state
	if state == protocol.OrderPaid {
		ap := protocol.Approval{ApprovalID: "PAY-" + o.OrderID[len(o.OrderID)-3:], ApprovalCode: "P4YD2X", TerminalID: "T-1",
			TerminalTxnID: o.OrderID, MerchantID: "M-1", Amount: o.Amount, MaskedCustomer: "al***e", ApprovedAt: now.Add(time.Minute)}
		o.Approval = signApproval(t, f.iss, ap, f.forge)
	}
	f.notifyLocked()
}

// signApproval signs ap as the server iss does; forged, with a key the terminal does not trust.
func signApproval(t *testing.T, iss *paytest.Issuer, ap protocol.Approval, forged bool) *protocol.SignedApproval {
	t.Helper()
	key := iss.Key
	if forged {
		key = paytest.NewIssuer().Key
	}
	sa, err := protocol.SignApproval(ap, iss.KeyID, key)
	if err != nil {
		t.Fatal(err)
	}
	return &sa
}

func (f *fakeOrders) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	f.notifyLocked()
}

// orderRig is a rig whose agent takes orders from fake.
func newOrderRig(t *testing.T, fake *fakeOrders, store *queue.Memory) *rig {
	return newRig(t, "approve", func(r *rig, o *Options) {
		if fake.iss == nil {
			fake.iss = r.iss
		}
		o.Identity.ServerKeys = fake.iss.ServerKeys()
		o.Keys = nil
		o.Orders = fake
		if store != nil {
			r.store, o.Store = store, store
		}
	})
}

// waitOrder follows an order until want holds, failing after 10 s.
func waitOrder(t *testing.T, ag *Agent, id string, want func(OrderView) bool) OrderView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ch := ag.changes()
		v, err := ag.Order(ctx, id)
		if err == nil && want(v) {
			return v
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("order %s: %+v, %v", id, v, err)
		}
	}
}

func pending(v OrderView) bool { return v.State == OrderPending && v.QRPrintStatus != "" }

func reported(state string) func(OrderView) bool {
	return func(v OrderView) bool { return v.State == state && v.Reported }
}

// jobsWith counts printed jobs that contain s.
func (p *fakePrinter) jobsWith(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, j := range p.jobs {
		if bytes.Contains(j, []byte(s)) {
			n++
		}
	}
	return n
}

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }

func TestOrderPaid(t *testing.T) {
	fake := newFakeOrders(nil)
	r := newOrderRig(t, fake, nil)
	ctx := context.Background()
	id, err := r.ag.StartOrder(ctx, eur(1250), "TABLE-4", 0)
	if err != nil {
		t.Fatal(err)
	}
	v := waitOrder(t, r.ag, id, pending)
	if v.OrderID == "" || v.QRPrintStatus != PrintPrinted || !v.ExpiresAt.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("pending order: %+v", v)
	}
	// The QR slip went out as native GS ( k (generic-80mm) holding the order's payload.
	if n := r.prn.jobsWith(v.QR); n != 1 {
		t.Fatalf("%d jobs carry the order's QR payload", n)
	}
	text, err := r.ag.OrderReceiptText(ctx, id)
	if err != nil || !strings.Contains(text, "SCAN TO PAY") || !strings.Contains(text, "12.50") || !strings.Contains(text, "Valid until") {
		t.Fatalf("QR slip:\n%s%v", text, err)
	}

	fake.set(t, id, protocol.OrderPaid)
	v = waitOrder(t, r.ag, id, reported(OrderPaid))
	if v.Customer != "al***e" || v.ApprovalCode != "P4YD2X" || v.PrintStatus != PrintPrinted {
		t.Fatalf("paid order: %+v", v)
	}
	if n := r.prn.jobsWith("PAID - CONFIRMED ON THE PHONE"); n != 1 {
		t.Fatalf("paid receipt printed %d times", n)
	}
	text, _ = r.ag.OrderReceiptText(ctx, id)
	if !strings.Contains(text, "Approval") || !strings.Contains(text, "P4YD2X") || strings.Contains(text, "SCAN TO PAY") {
		t.Fatalf("paid receipt:\n%s", text)
	}
	// An order is not a sale: the sale API does not show it.
	if _, err := r.ag.Sale(ctx, id); !errors.Is(err, ErrNoSale) {
		t.Fatalf("order as a sale: %v", err)
	}
	if st, _ := r.ag.ReprintOrder(ctx, id); st != PrintPrinted || r.prn.jobsWith("*** COPY ***") != 1 {
		t.Fatalf("reprint: %s", st)
	}
}

func TestOrderNetworkDropWhileWaiting(t *testing.T) {
	fake := newFakeOrders(nil)
	r := newOrderRig(t, fake, nil)
	ctx := context.Background()
	fake.setDown(true)
	id, err := r.ag.StartOrder(ctx, eur(800), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Creation is retried while the network is down, under the same id.
	v := waitOrder(t, r.ag, id, func(v OrderView) bool { return v.ServerError != "" })
	if v.State != OrderCreating {
		t.Fatalf("order while the server is unreachable: %+v", v)
	}
	fake.setDown(false)
	waitOrder(t, r.ag, id, pending)
	fake.setDown(true)
	// Paid while the terminal cannot reach the server.
	fake.mu.Lock()
	fake.down = false
	fake.mu.Unlock()
	fake.set(t, id, protocol.OrderPaid)
	fake.setDown(true)
	time.Sleep(50 * time.Millisecond)
	fake.setDown(false)
	waitOrder(t, r.ag, id, reported(OrderPaid))
	if n := r.prn.jobsWith("PAID - CONFIRMED"); n != 1 {
		t.Fatalf("paid receipt printed %d times", n)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	for _, c := range fake.creates {
		if c.TerminalOrderID != id || c.Amount != eur(800) {
			t.Fatalf("create retried with another body: %+v", c)
		}
	}
	if len(fake.byID) != 1 {
		t.Fatalf("%d orders at the server", len(fake.byID))
	}
}

func TestOrderResumedAfterRestart(t *testing.T) {
	fake := newFakeOrders(nil)
	store := queue.NewMemory()
	r := newOrderRig(t, fake, store)
	ctx := context.Background()
	id, err := r.ag.StartOrder(ctx, eur(450), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	waitOrder(t, r.ag, id, pending)
	r.ag.Close() // the agent stops while it waits (its queue keeps the order)
	fake.set(t, id, protocol.OrderPaid)

	r2 := newOrderRig(t, fake, store)
	if n, err := r2.ag.ResumeOrders(ctx); n != 1 || err != nil {
		t.Fatalf("resumed %d, %v", n, err)
	}
	waitOrder(t, r2.ag, id, reported(OrderPaid))
	if r2.prn.jobsWith("PAID - CONFIRMED") != 1 || r2.prn.jobsWith("SCAN TO PAY") != 0 {
		t.Fatalf("after restart: %d paid receipts, %d QR slips", r2.prn.jobsWith("PAID - CONFIRMED"), r2.prn.jobsWith("SCAN TO PAY"))
	}
	// A third start has nothing left to follow: the receipt is printed once.
	r3 := newOrderRig(t, fake, store)
	if n, _ := r3.ag.ResumeOrders(ctx); n != 0 {
		t.Fatalf("resumed %d orders again", n)
	}
}

func TestOrderCancelExpireRefuse(t *testing.T) {
	fake := newFakeOrders(nil)
	r := newOrderRig(t, fake, nil)
	ctx := context.Background()

	t.Run("cancelled by the cashier", func(t *testing.T) {
		id, _ := r.ag.StartOrder(ctx, eur(300), "", 0)
		waitOrder(t, r.ag, id, pending)
		if err := r.ag.CancelOrder(ctx, id); err != nil {
			t.Fatal(err)
		}
		v := waitOrder(t, r.ag, id, reported(OrderCancelled))
		if r.prn.jobsWith("ORDER CANCELLED") != 1 || v.PrintStatus != PrintPrinted {
			t.Fatalf("%+v", v)
		}
		if err := r.ag.CancelOrder(ctx, id); !errors.Is(err, ErrOrderFinal) {
			t.Fatalf("cancel again: %v", err)
		}
	})
	t.Run("paid before the cancel reached the server", func(t *testing.T) {
		id, _ := r.ag.StartOrder(ctx, eur(310), "", 0)
		waitOrder(t, r.ag, id, pending)
		fake.setDown(true)
		fake.mu.Lock()
		fake.down = false
		fake.mu.Unlock()
		fake.set(t, id, protocol.OrderPaid)
		fake.setDown(true)
		defer fake.setDown(false) // the later subtests need the server back even if this one fails
		// The agent's long-poll may learn of the payment before the cashier's cancel is taken: then
		// the cancel is refused as final. Either way the order must end paid, never cancelled.
		if err := r.ag.CancelOrder(ctx, id); err != nil && !errors.Is(err, ErrOrderFinal) {
			t.Fatal(err)
		}
		fake.setDown(false)
		waitOrder(t, r.ag, id, reported(OrderPaid))
	})
	t.Run("expired", func(t *testing.T) {
		id, _ := r.ag.StartOrder(ctx, eur(320), "", 90*time.Second)
		waitOrder(t, r.ag, id, pending)
		fake.set(t, id, protocol.OrderExpired)
		v := waitOrder(t, r.ag, id, reported(OrderExpired))
		if v.Code != protocol.CodeOrderExpired || r.prn.jobsWith("ORDER EXPIRED") != 1 {
			t.Fatalf("%+v", v)
		}
		fake.mu.Lock()
		got := fake.creates[len(fake.creates)-1].ExpiresInSeconds
		fake.mu.Unlock()
		if got != 90 {
			t.Fatalf("asked for %d s", got)
		}
	})
	t.Run("refused by the server", func(t *testing.T) {
		id, err := r.ag.StartOrder(ctx, eur(60000), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		v := waitOrder(t, r.ag, id, reported(OrderDeclined))
		if v.Code != protocol.CodeInvalidAmount || v.PrintStatus != "" {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		if _, err := r.ag.StartOrder(ctx, eur(0), "", 0); !errors.Is(err, ErrBadAmount) {
			t.Fatalf("zero amount: %v", err)
		}
		if _, err := r.ag.StartOrder(ctx, eur(100), "", 2*time.Hour); !errors.Is(err, ErrBadOrderTTL) {
			t.Fatalf("2h: %v", err)
		}
		if _, err := r.ag.Order(ctx, "T-1-999"); !errors.Is(err, ErrNoOrder) {
			t.Fatalf("unknown: %v", err)
		}
	})
}

func TestOrderForgedApprovalIsNotPaid(t *testing.T) {
	fake := newFakeOrders(nil)
	r := newOrderRig(t, fake, nil)
	fake.forge = true
	ctx := context.Background()
	id, _ := r.ag.StartOrder(ctx, eur(999), "", 0)
	waitOrder(t, r.ag, id, pending)
	fake.set(t, id, protocol.OrderPaid)
	v := waitOrder(t, r.ag, id, func(v OrderView) bool { return v.ServerError != "" })
	if v.State != OrderPending || r.prn.jobsWith("PAID") != 0 || !strings.Contains(v.ServerError, "does not verify") {
		t.Fatalf("forged paid answer: %+v", v)
	}
}

func TestOrdersUnavailableWithoutServer(t *testing.T) {
	r := newRig(t, "approve")
	if _, err := r.ag.StartOrder(context.Background(), eur(100), "", 0); !errors.Is(err, ErrNoOrders) {
		t.Fatalf("got %v", err)
	}
}

// capServer declines every payment as settlementd declines one over the credential's cap.
type capServer struct{}

func (capServer) Transaction(_ context.Context, req protocol.TransactionRequest) (protocol.TransactionResponse, error) {
	return protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusDeclined,
		Code: protocol.CodeConfirmationRequired, Message: "over the cap per payment"}, nil
}

func TestSaleOverCapSuggestsAnOrder(t *testing.T) {
	r := newRig(t, "approve", func(_ *rig, o *Options) { o.Server = capServer{} })
	v := r.sell(t, 4250, r.wallet.Code(now))
	if v.State != SaleDeclined || v.Code != protocol.CodeConfirmationRequired || v.Suggest != SuggestOrder {
		t.Fatalf("%+v", v)
	}
	r2 := newRig(t, "decline")
	if v := r2.sell(t, 100, r2.wallet.Code(now)); v.Suggest != "" {
		t.Fatalf("an ordinary decline suggests %q", v.Suggest)
	}
}
