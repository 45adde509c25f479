package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// testOrders is the conformance suite of store.OrderStore (flow 2).
func testOrders(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, f *fx)
	}{
		{"Create", testOrderCreate},
		{"List", testOrderList},
		{"Cancel", testOrderCancel},
		{"Confirm", testOrderConfirm},
		{"ConfirmRefused", testOrderConfirmRefused},
		{"VoidAndRefund", testOrderVoidRefund},
		{"Static", testOrderStatic},
		{"ConcurrentConfirms", testOrderConcurrentConfirms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFx(t, open)
			f.shop(10_000)
			tc.fn(t, f)
		})
	}
}

// order is a pending dynamic order of terminal T1 for amount minor EUR, created at t0, expiring at
// t0+5m.
func order(id, terminalOrderID string, minor int64) store.Order {
	return store.Order{ID: id, Kind: protocol.OrderDynamic, TerminalID: "T1", TerminalOrderID: terminalOrderID,
		Amount: eur(minor), Reference: "ref-" + terminalOrderID,
		Items:       []protocol.OrderItem{{Description: "Espresso", Quantity: 1, UnitPrice: eur(minor)}},
		RequestHash: hash("order", terminalOrderID, minor), State: store.OrderPending,
		CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute), MPM: "000201010212" + id,
		SignatureHash: hash("sig", id), KeyID: "k1"}
}

func (f *fx) createOrder(o store.Order) store.Order {
	f.t.Helper()
	got, replayed, err := f.s.CreateOrder(f.ctx, o)
	if err != nil || replayed {
		f.t.Fatalf("CreateOrder(%s) = replayed %v, %v", o.ID, replayed, err)
	}
	return got
}

func confirm(orderID, user, account string, at time.Time) store.OrderConfirm {
	return store.OrderConfirm{OrderID: orderID, UserID: user, AccountID: account,
		ConfirmHash: hash("confirm", orderID, user, account), Now: at,
		ApprovalID: "ap-" + orderID, ApprovalCode: "OK1234", KeyID: "k1"}
}

func testOrderCreate(t *testing.T, f *fx) {
	a := f.createOrder(order("ord_a", "O-1", 1250))
	if a.Seq == 0 || a.MerchantID != "M1" || a.State != store.OrderPending || len(a.Items) != 1 {
		t.Fatalf("created order = %+v; want Seq set, merchant M1, pending, 1 item", a)
	}
	b := f.createOrder(order("ord_b", "O-2", 300))
	if b.Seq <= a.Seq {
		t.Errorf("second order Seq %d, first %d: want increasing", b.Seq, a.Seq)
	}
	got, err := f.s.GetOrder(f.ctx, "ord_a")
	if err != nil || got.Seq != a.Seq || got.Amount != a.Amount || got.MPM != a.MPM || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("GetOrder = %+v, %v; want %+v", got, err, a)
	}
	// The same key and request again: the stored order, replayed.
	again, replayed, err := f.s.CreateOrder(f.ctx, order("ord_other", "O-1", 1250))
	if err != nil || !replayed || again.ID != "ord_a" {
		t.Errorf("CreateOrder replay = %s, replayed %v, %v; want ord_a replayed", again.ID, replayed, err)
	}
	// The same key with another request.
	_, _, err = f.s.CreateOrder(f.ctx, order("ord_c", "O-1", 999))
	wantErr(t, "same key, other amount", err, store.ErrIdempotencyMismatch)
	// A taken id under another key.
	_, _, err = f.s.CreateOrder(f.ctx, order("ord_a", "O-3", 100))
	wantErr(t, "taken id", err, store.ErrExists)
	bad := order("ord_d", "O-4", 100)
	bad.TerminalID = "T-none"
	_, _, err = f.s.CreateOrder(f.ctx, bad)
	wantErr(t, "unknown terminal", err, store.ErrNotFound)
	for name, mut := range map[string]func(o *store.Order){
		"zero amount":    func(o *store.Order) { o.Amount.Minor = 0 },
		"bad currency":   func(o *store.Order) { o.Amount.Currency = "XXQ" },
		"id with slash":  func(o *store.Order) { o.ID = "ord/x" },
		"no hash":        func(o *store.Order) { o.RequestHash = nil },
		"expires first":  func(o *store.Order) { o.ExpiresAt = o.CreatedAt },
		"paid at birth":  func(o *store.Order) { o.State = store.OrderPaid },
		"unknown kind":   func(o *store.Order) { o.Kind = "sticker" },
		"other merchant": func(o *store.Order) { o.MerchantID = "M-other" },
	} {
		o := order("ord_e", "O-5", 100)
		mut(&o)
		_, _, err := f.s.CreateOrder(f.ctx, o)
		wantErr(t, name, err, store.ErrInvalidArgument)
	}
	if _, err := f.s.GetOrder(f.ctx, "ord_e"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an invalid order was stored: GetOrder = %v", err)
	}
	// With the request's nonce: recorded with the order; the same nonce again creates nothing.
	n := &store.Nonce{TerminalID: "T1", Nonce: "nonce-order-6", ExpiresAt: t0.Add(10 * time.Minute)}
	withNonce := order("ord_f", "O-6", 100)
	withNonce.Nonce = n
	if _, replayed, err := f.s.CreateOrder(f.ctx, withNonce); err != nil || replayed {
		t.Fatalf("CreateOrder with a nonce: replayed %v, %v", replayed, err)
	}
	again2 := order("ord_g", "O-7", 100)
	again2.Nonce = n
	_, _, err = f.s.CreateOrder(f.ctx, again2)
	wantErr(t, "a used nonce", err, store.ErrNonceReplayed)
	if _, err := f.s.GetOrder(f.ctx, "ord_g"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a replayed request created an order: %v", err)
	}
	err = f.s.UseNonce(f.ctx, "T1", "nonce-order-6", n.ExpiresAt)
	wantErr(t, "the order's nonce", err, store.ErrNonceReplayed)
}

func testOrderList(t *testing.T, f *fx) {
	f.terminal("T2", "M1")
	var seqs []uint64
	for i := range 5 {
		o := f.createOrder(order(fmt.Sprintf("ord_%d", i), fmt.Sprintf("O-%d", i), 100))
		seqs = append(seqs, o.Seq)
		other := order(fmt.Sprintf("ord_t2_%d", i), fmt.Sprintf("O-%d", i), 100)
		other.TerminalID = "T2"
		f.createOrder(other)
	}
	all, err := f.s.ListOrders(f.ctx, store.OrderFilter{TerminalID: "T1"})
	if err != nil || len(all) != 5 {
		t.Fatalf("ListOrders(T1) = %d orders, %v; want 5", len(all), err)
	}
	for i, o := range all {
		if o.TerminalID != "T1" || o.Seq != seqs[i] {
			t.Errorf("order %d: terminal %s seq %d, want T1 seq %d", i, o.TerminalID, o.Seq, seqs[i])
		}
	}
	page, err := f.s.ListOrders(f.ctx, store.OrderFilter{TerminalID: "T1", AfterSeq: seqs[1], Limit: 2})
	if err != nil || len(page) != 2 || page[0].Seq != seqs[2] || page[1].Seq != seqs[3] {
		t.Errorf("ListOrders after %d limit 2 = %+v, %v; want seqs %v", seqs[1], page, err, seqs[2:4])
	}
	none, err := f.s.ListOrders(f.ctx, store.OrderFilter{TerminalID: "T1", AfterSeq: seqs[4]})
	if err != nil || len(none) != 0 {
		t.Errorf("ListOrders after the last = %d, %v; want none", len(none), err)
	}
}

func testOrderCancel(t *testing.T, f *fx) {
	f.terminal("T2", "M1")
	f.createOrder(order("ord_a", "O-1", 100))
	_, err := f.s.CancelOrder(f.ctx, "ord_a", "T2", t0.Add(time.Minute))
	wantErr(t, "another terminal's order", err, store.ErrNotFound)
	o, err := f.s.CancelOrder(f.ctx, "ord_a", "T1", t0.Add(time.Minute))
	if err != nil || o.State != store.OrderCancelled || !o.CancelledAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("CancelOrder = %+v, %v; want cancelled at t0+1m", o, err)
	}
	again, err := f.s.CancelOrder(f.ctx, "ord_a", "T1", t0.Add(2*time.Minute))
	if err != nil || !again.CancelledAt.Equal(o.CancelledAt) {
		t.Errorf("second cancel = %+v, %v; want the first cancellation", again, err)
	}
	f.createOrder(order("ord_b", "O-2", 100))
	_, err = f.s.CancelOrder(f.ctx, "ord_b", "T1", t0.Add(5*time.Minute))
	wantErr(t, "cancel at expiry", err, store.ErrOrderExpired)
	f.createOrder(order("ord_c", "O-3", 100))
	if _, _, _, err := f.s.ConfirmOrder(f.ctx, confirm("ord_c", "U1", "A1", t0.Add(time.Minute))); err != nil {
		t.Fatalf("ConfirmOrder: %v", err)
	}
	_, err = f.s.CancelOrder(f.ctx, "ord_c", "T1", t0.Add(2*time.Minute))
	wantErr(t, "cancel a paid order", err, store.ErrOrderPaid)
	_, err = f.s.CancelOrder(f.ctx, "ord_none", "T1", t0)
	wantErr(t, "unknown order", err, store.ErrNotFound)
}

func testOrderConfirm(t *testing.T, f *fx) {
	f.createOrder(order("ord_a", "O-1", 1250))
	at := t0.Add(time.Minute)
	o, txn, replayed, err := f.s.ConfirmOrder(f.ctx, confirm("ord_a", "U1", "A1", at))
	if err != nil || replayed {
		t.Fatalf("ConfirmOrder = replayed %v, %v", replayed, err)
	}
	if o.State != store.OrderPaid || !o.PaidAt.Equal(at) {
		t.Errorf("order after confirm = %s paid at %v; want paid at %v", o.State, o.PaidAt, at)
	}
	want := store.TxnKey{TerminalID: "T1", TerminalTxnID: "ord_a"}
	if txn.Key != want || !txn.Approved() || txn.Amount != eur(1250) || txn.EntryID == 0 || txn.Seq == 0 ||
		txn.UserID != "U1" || txn.AccountID != "A1" || txn.MerchantID != "M1" || txn.ApprovalCode != "OK1234" || txn.AuthorizationID != "" {
		t.Errorf("payment = %+v; want an approved payment T1/ord_a of 12.50 from A1 with an entry", txn)
	}
	f.wantBalances(map[string]int64{"A1": 10_000 - 1000*5 - 1250, store.MerchantAccountID("M1"): 1250})
	stored, err := f.s.GetTxn(f.ctx, want)
	if err != nil || stored.EntryID != txn.EntryID || stored.Seq != txn.Seq || stored.Status != store.StatusApproved {
		t.Errorf("GetTxn = %+v, %v; want the payment %+v", stored, err, txn)
	}
	// The same confirmation again: the same answer, no money.
	o2, txn2, replayed, err := f.s.ConfirmOrder(f.ctx, confirm("ord_a", "U1", "A1", at.Add(time.Second)))
	if err != nil || !replayed || txn2.EntryID != txn.EntryID || txn2.Seq != txn.Seq || !o2.PaidAt.Equal(o.PaidAt) {
		t.Errorf("repeat confirm = %+v replayed %v, %v; want the first payment replayed", txn2, replayed, err)
	}
	// Another confirmation of the paid order, even after it would have expired.
	other := confirm("ord_a", "U1", "A1", at.Add(time.Hour))
	other.ConfirmHash = hash("another phone")
	_, _, _, err = f.s.ConfirmOrder(f.ctx, other)
	wantErr(t, "another confirmation", err, store.ErrOrderPaid)
	f.wantBalances(map[string]int64{store.MerchantAccountID("M1"): 1250})
	if got, err := f.s.GetOrder(f.ctx, "ord_a"); err != nil || got.State != store.OrderPaid {
		t.Errorf("GetOrder = %s, %v; want paid", got.State, err)
	}
	f.check()
}

func testOrderConfirmRefused(t *testing.T, f *fx) {
	f.createOrder(order("ord_exp", "O-1", 100))
	_, _, _, err := f.s.ConfirmOrder(f.ctx, confirm("ord_exp", "U1", "A1", t0.Add(5*time.Minute)))
	wantErr(t, "at expiry", err, store.ErrOrderExpired)

	f.createOrder(order("ord_can", "O-2", 100))
	if _, err := f.s.CancelOrder(f.ctx, "ord_can", "T1", t0); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = f.s.ConfirmOrder(f.ctx, confirm("ord_can", "U1", "A1", t0.Add(time.Second)))
	wantErr(t, "cancelled", err, store.ErrOrderCancelled)

	_, _, _, err = f.s.ConfirmOrder(f.ctx, confirm("ord_none", "U1", "A1", t0))
	wantErr(t, "unknown", err, store.ErrNotFound)

	f.createOrder(order("ord_big", "O-3", 5_001)) // A1 holds 5,000 after its authorization's hold
	_, _, _, err = f.s.ConfirmOrder(f.ctx, confirm("ord_big", "U1", "A1", t0.Add(time.Second)))
	wantErr(t, "over the balance", err, store.ErrInsufficientFunds)
	if o, err := f.s.GetOrder(f.ctx, "ord_big"); err != nil || o.State != store.OrderPending {
		t.Errorf("after a refused confirm the order is %s, %v; want pending", o.State, err)
	}
	// A void of the order's id before it is paid leaves a tombstone: it can never be paid.
	f.createOrder(order("ord_void", "O-4", 100))
	if o := f.apply1(void("T1", "V-1", "ord_void", t0.Add(time.Second))); !o.Approved() {
		t.Fatalf("void = %+v", o)
	}
	_, _, _, err = f.s.ConfirmOrder(f.ctx, confirm("ord_void", "U1", "A1", t0.Add(2*time.Second)))
	wantErr(t, "voided id", err, store.ErrOrderCancelled)
	bad := confirm("ord_big", "U1", "A1", t0)
	bad.ConfirmHash = nil
	_, _, _, err = f.s.ConfirmOrder(f.ctx, bad)
	wantErr(t, "no hash", err, store.ErrInvalidArgument)
	f.wantBalances(map[string]int64{"A1": 5_000, store.MerchantAccountID("M1"): 0})
	f.check()
}

func testOrderVoidRefund(t *testing.T, f *fx) {
	merchant := store.MerchantAccountID("M1")
	for _, id := range []string{"ord_r", "ord_v"} {
		f.createOrder(order(id, "O-"+id, 1000))
		if _, _, _, err := f.s.ConfirmOrder(f.ctx, confirm(id, "U1", "A1", t0.Add(time.Minute))); err != nil {
			t.Fatalf("ConfirmOrder(%s): %v", id, err)
		}
	}
	f.wantBalances(map[string]int64{"A1": 3_000, merchant: 2_000})
	if o := f.apply1(refund("T1", "R-1", "ord_r", eur(400), t0.Add(2*time.Minute))); !o.Approved() || o.UserID != "U1" {
		t.Fatalf("refund of an order payment = %+v", o)
	}
	if o := f.apply1(refund("T1", "R-2", "ord_r", eur(601), t0.Add(2*time.Minute))); o.Code != protocol.CodeRefundExceeds {
		t.Errorf("refund past the payment = %+v; want %s", o, protocol.CodeRefundExceeds)
	}
	if o := f.apply1(void("T1", "V-1", "ord_v", t0.Add(3*time.Minute))); !o.Approved() || o.Amount != eur(1000) {
		t.Fatalf("void of an order payment = %+v; want 10.00 back", o)
	}
	f.wantBalances(map[string]int64{"A1": 4_400, merchant: 600})
	f.check()
}

func testOrderStatic(t *testing.T, f *fx) {
	st := order("ord_s1", "ord_s1", 480)
	st.Kind, st.Items, st.MPM = protocol.OrderStatic, nil, ""
	c := confirm("ord_s1", "U1", "A1", t0.Add(time.Second))
	c.Create = &st
	o, txn, replayed, err := f.s.ConfirmOrder(f.ctx, c)
	if err != nil || replayed || o.State != store.OrderPaid || o.Seq == 0 || !txn.Approved() {
		t.Fatalf("static confirm = %+v, %+v, replayed %v, %v; want a new paid order", o, txn, replayed, err)
	}
	o2, txn2, replayed, err := f.s.ConfirmOrder(f.ctx, c)
	if err != nil || !replayed || o2.Seq != o.Seq || txn2.EntryID != txn.EntryID {
		t.Errorf("static confirm again = %+v replayed %v, %v; want the first replayed", o2, replayed, err)
	}
	listed, err := f.s.ListOrders(f.ctx, store.OrderFilter{TerminalID: "T1"})
	if err != nil || len(listed) != 1 || listed[0].State != store.OrderPaid {
		t.Errorf("ListOrders = %+v, %v; want the paid static order", listed, err)
	}
	// The same order id with another request is refused.
	other := st
	other.RequestHash = hash("other amount")
	c2 := confirm("ord_s1", "U1", "A1", t0.Add(2*time.Second))
	c2.Create = &other
	_, _, _, err = f.s.ConfirmOrder(f.ctx, c2)
	wantErr(t, "same static id, other request", err, store.ErrIdempotencyMismatch)
	// A refused static payment leaves no order behind.
	big := order("ord_s2", "ord_s2", 1_000_000)
	big.Kind, big.MPM = protocol.OrderStatic, ""
	c3 := confirm("ord_s2", "U1", "A1", t0.Add(time.Second))
	c3.Create = &big
	_, _, _, err = f.s.ConfirmOrder(f.ctx, c3)
	wantErr(t, "static over the balance", err, store.ErrInsufficientFunds)
	if _, err := f.s.GetOrder(f.ctx, "ord_s2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused static payment left an order: %v", err)
	}
	f.wantBalances(map[string]int64{"A1": 5_000 - 480, store.MerchantAccountID("M1"): 480})
	f.check()
}

// testOrderConcurrentConfirms: many confirmations of one order at once, each with its own hash, pay
// it exactly once; the others are refused ErrOrderPaid.
func testOrderConcurrentConfirms(t *testing.T, f *fx) {
	const phones = 32
	f.createOrder(order("ord_hot", "O-1", 700))
	var wg sync.WaitGroup
	errs := make([]error, phones)
	for i := range phones {
		wg.Go(func() {
			c := confirm("ord_hot", "U1", "A1", t0.Add(time.Minute))
			c.ConfirmHash = hash("phone", i)
			_, _, _, errs[i] = f.s.ConfirmOrder(f.ctx, c)
		})
	}
	wg.Wait()
	paid := 0
	for i, err := range errs {
		switch {
		case err == nil:
			paid++
		case !errors.Is(err, store.ErrOrderPaid):
			t.Errorf("phone %d: %v; want nil or ErrOrderPaid", i, err)
		}
	}
	if paid != 1 {
		t.Errorf("%d confirmations paid; want exactly 1", paid)
	}
	f.wantBalances(map[string]int64{"A1": 5_000 - 700, store.MerchantAccountID("M1"): 700})
	f.check()
}
