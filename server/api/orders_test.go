package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/testenv"
	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// orderShop is merchant M1 with terminal T1 and customers who pay orders from their own accounts.
type orderShop struct {
	s    *stack
	term *bench.Terminal
}

func (s *stack) newOrderShop() *orderShop {
	t := s.t
	t.Helper()
	ctx := context.Background()
	if _, err := s.admin.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Corner Café", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	return &orderShop{s: s, term: s.enrollTerminal("T1", "M1")}
}

func (s *stack) enrollTerminal(id, merchant string) *bench.Terminal {
	t := s.t
	t.Helper()
	ctx := context.Background()
	tc, err := s.admin.AddTerminal(ctx, admin.TerminalRequest{TerminalID: id, MerchantID: merchant})
	if err != nil {
		t.Fatal(err)
	}
	term, _, err := bench.Enroll(ctx, s.srv.Client(), s.srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	term.Now = s.clock.Now
	return term
}

// payer adds user id with account "acc-"+id holding opening minor EUR, logged in on a phone.
func (o *orderShop) payer(id string, opening int64) *bench.Payer {
	s := o.s
	t := s.t
	t.Helper()
	ctx := context.Background()
	if _, err := s.admin.AddUser(ctx, admin.UserRequest{UserID: id, Password: "password-" + id}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-" + id, UserID: id, OpeningBalance: eur(opening)}); err != nil {
		t.Fatal(err)
	}
	p, err := bench.NewPayer(ctx, s.srv.Client(), s.srv.URL, id, "password-"+id, "acc-"+id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (o *orderShop) create(req protocol.OrderRequest) protocol.Order {
	o.s.t.Helper()
	ord, err := o.term.CreateOrder(context.Background(), req)
	if err != nil {
		o.s.t.Fatalf("create order %s: %v", req.TerminalOrderID, err)
	}
	return ord
}

func (o *orderShop) get(id, query string) (protocol.Order, bench.Answer) {
	o.s.t.Helper()
	ans, err := o.term.Get(context.Background(), protocol.OrderPath(id)+query)
	if err != nil {
		o.s.t.Fatal(err)
	}
	var ord protocol.Order
	if ans.Status == 200 {
		if err := ans.Decode(&ord); err != nil {
			o.s.t.Fatal(err)
		}
	}
	return ord, ans
}

func confirmReq(t testing.TB, p *bench.Payer, ord protocol.Order) protocol.OrderConfirmRequest {
	t.Helper()
	id, req, err := p.ConfirmRequest(ord.MPM)
	if err != nil || id != ord.OrderID {
		t.Fatalf("confirm request for %s: id %s, %v", ord.OrderID, id, err)
	}
	return req
}

func wantProblem(t testing.TB, what string, ans bench.Answer, status int, code protocol.Code) {
	t.Helper()
	p := ans.Problem()
	if ans.Status != status || p == nil || p.Code != code {
		t.Errorf("%s: %d %s, want %d %s", what, ans.Status, ans.Body, status, code)
	}
}

func (s *stack) wantCheckOK() {
	s.t.Helper()
	rep, err := s.admin.Check(context.Background())
	if err != nil || !rep.OK {
		s.t.Errorf("admin check: %+v, %v", rep, err)
	}
}

func TestOrderPaidOnceAndTheTerminalLearnsIt(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		o := s.newOrderShop()
		carol, dave := o.payer("carol", 50_000), o.payer("dave", 50_000)
		ord := o.create(protocol.OrderRequest{TerminalOrderID: "T1-O-1", Amount: eur(1250), Reference: "INV-881",
			Items: []protocol.OrderItem{{Description: "Espresso", Quantity: 2, UnitPrice: eur(250)},
				{Description: "Croissant", Quantity: 1, UnitPrice: eur(750)}}})
		if ord.State != protocol.OrderPending || ord.MPM == "" || ord.MerchantName != "Corner Café" ||
			!ord.ExpiresAt.Equal(ord.CreatedAt.Add(protocol.DefaultOrderTTL)) || len(ord.Items) != 2 {
			t.Fatalf("new order = %+v", ord)
		}
		// The same request again: the same order, the same bytes.
		if again := o.create(protocol.OrderRequest{TerminalOrderID: "T1-O-1", Amount: eur(1250), Reference: "INV-881",
			Items: ord.Items}); again.OrderID != ord.OrderID || again.MPM != ord.MPM {
			t.Errorf("replayed create = %s %s, want %s", again.OrderID, again.MPM, ord.OrderID)
		}

		// The terminal waits; the phone pays; the wait ends with the paid order.
		waited := make(chan protocol.Order, 1)
		go func() {
			got, ans := o.get(ord.OrderID, "?wait=30s")
			if ans.Status != 200 {
				t.Errorf("long-poll: %d %s", ans.Status, ans.Body)
			}
			waited <- got
		}()
		time.Sleep(100 * time.Millisecond) // let the long-poll start waiting
		req := confirmReq(t, carol, ord)
		ans, err := carol.Confirm(ctx, ord.OrderID, req)
		if err != nil || ans.Status != 200 {
			t.Fatalf("confirm: %d %s %v", ans.Status, ans.Body, err)
		}
		var paid protocol.Order
		if err := ans.Decode(&paid); err != nil {
			t.Fatal(err)
		}
		if paid.State != protocol.OrderPaid || paid.Approval == nil {
			t.Fatalf("confirm answer = %+v", paid)
		}
		var ap protocol.Approval
		if err := json.Unmarshal(paid.Approval.Approval, &ap); err != nil || ap.TerminalTxnID != ord.OrderID ||
			ap.Amount != eur(1250) || ap.MaskedCustomer != payload.Mask("carol") || ap.MerchantID != "M1" {
			t.Errorf("approval = %+v, %v", ap, err)
		}
		select {
		case got := <-waited:
			if got.State != protocol.OrderPaid || got.Approval == nil || !bytes.Equal(got.Approval.Signature, paid.Approval.Signature) {
				t.Errorf("long-poll answered %+v, want the paid order", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the long-poll did not end when the order was paid")
		}

		// A repeat of the paying confirmation: the identical answer, no money.
		again, err := carol.Confirm(ctx, ord.OrderID, req)
		if err != nil || again.Status != 200 || !bytes.Equal(again.Body, ans.Body) {
			t.Errorf("repeat confirm: %d %s, want the first answer byte for byte", again.Status, again.Body)
		}
		// Another phone, another user: already paid.
		other, _ := dave.Confirm(ctx, ord.OrderID, confirmReq(t, dave, ord))
		wantProblem(t, "second payer", other, 409, protocol.CodeOrderAlreadyPaid)
		if got := s.balance("acc-carol"); got != 50_000-1250 {
			t.Errorf("carol's balance %d, want %d", got, 50_000-1250)
		}
		if got := s.balance(store.MerchantAccountID("M1")); got != 1250 {
			t.Errorf("merchant balance %d, want 1250", got)
		}

		// Refunded like a flow 1 payment, naming the order id.
		rf, err := o.term.Post(ctx, protocol.PathRefunds, protocol.RefundRequest{TerminalTxnID: "T1-R-1", TargetTxnID: ord.OrderID, Amount: eur(250)})
		if err != nil || rf.Status != 200 {
			t.Fatalf("refund of the order: %d %s %v", rf.Status, rf.Body, err)
		}
		if got := s.balance("acc-carol"); got != 50_000-1000 {
			t.Errorf("carol's balance after the refund %d, want %d", got, 50_000-1000)
		}
		s.wantCheckOK()
	})
}

func TestOrderLongPollEndsOnCancelAndTimesOut(t *testing.T) {
	s := newStack(t)
	o := s.newOrderShop()
	ord := o.create(protocol.OrderRequest{TerminalOrderID: "O-1", Amount: eur(500)})
	start := time.Now()
	got, ans := o.get(ord.OrderID, "?wait=1s")
	if ans.Status != 200 || got.State != protocol.OrderPending || time.Since(start) < 900*time.Millisecond {
		t.Errorf("long-poll of a pending order: %d %s after %v; want pending after about 1s", ans.Status, got.State, time.Since(start))
	}
	done := make(chan protocol.Order, 1)
	go func() { got, _ := o.get(ord.OrderID, "?wait=30s"); done <- got }()
	time.Sleep(100 * time.Millisecond)
	cans, err := o.term.PostRaw(context.Background(), protocol.OrderCancelPath(ord.OrderID), nil)
	if err != nil || cans.Status != 200 {
		t.Fatalf("cancel: %d %s %v", cans.Status, cans.Body, err)
	}
	select {
	case got := <-done:
		if got.State != protocol.OrderCancelled || got.CancelledAt.IsZero() {
			t.Errorf("long-poll after cancel = %s", got.State)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll did not end when the order was cancelled")
	}
	// Expiry needs nothing to run: the state reads expired once the clock passes it.
	exp := o.create(protocol.OrderRequest{TerminalOrderID: "O-2", Amount: eur(500), ExpiresInSeconds: 60})
	s.clock.Advance(61 * time.Second)
	if got, _ := o.get(exp.OrderID, "?wait=5s"); got.State != protocol.OrderExpired {
		t.Errorf("order past its expiry reads %s, want expired", got.State)
	}
	_, ans = o.get(ord.OrderID, "?wait=soon")
	wantProblem(t, "bad wait", ans, 400, protocol.CodeInvalidField)
	// Another terminal sees nothing of T1's orders.
	other := s.enrollTerminal("T2", "M1")
	oa, _ := other.Get(context.Background(), protocol.OrderPath(ord.OrderID))
	wantProblem(t, "another terminal's order", oa, 404, protocol.CodeOrderNotFound)
}

// TestOrderConfirmRefusals: every way a confirmation can be wrong is refused with its code, and no
// money moves.
func TestOrderConfirmRefusals(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	o := s.newOrderShop()
	// carol's five wrong confirmations reach the throttling limit; frank makes the other mistakes.
	carol, eve, frank := o.payer("carol", 50_000), o.payer("eve", 100), o.payer("frank", 50_000)
	a := o.create(protocol.OrderRequest{TerminalOrderID: "O-a", Amount: eur(1000)})
	b := o.create(protocol.OrderRequest{TerminalOrderID: "O-b", Amount: eur(2000)})
	good := confirmReq(t, carol, a)
	other := confirmReq(t, carol, b)

	tampered := good
	tampered.Amount = eur(1) // the phone read a QR whose amount was changed
	anotherSig := good
	anotherSig.OrderSignatureSHA256 = other.OrderSignatureSHA256 // a signature of order b on a's confirmation
	forgedSig := good
	forgedSig.Signature = bytes.Clone(good.Signature)
	forgedSig.Signature[0] ^= 1
	otherMerchant := good
	otherMerchant.MerchantID = "M-evil"
	franks := confirmReq(t, frank, a)
	evesAccount := franks
	evesAccount.AccountID = "acc-eve"

	for _, tc := range []struct {
		name   string
		payer  *bench.Payer
		id     string
		req    protocol.OrderConfirmRequest
		status int
		code   protocol.Code
	}{
		{"tampered amount", carol, a.OrderID, tampered, 422, protocol.CodeOrderAmountMismatch},
		{"another order's signature", carol, a.OrderID, anotherSig, 422, protocol.CodeOrderSignatureMismatch},
		{"another merchant", carol, a.OrderID, otherMerchant, 422, protocol.CodeOrderSignatureMismatch},
		{"order b's confirmation on order a", carol, a.OrderID, other, 422, protocol.CodeOrderAmountMismatch},
		{"forged device signature", carol, a.OrderID, forgedSig, 422, protocol.CodeConfirmationSignature},
		{"another user's account", eve, a.OrderID, good, 404, protocol.CodeAccountNotFound},
		{"someone else's account with own session", frank, a.OrderID, evesAccount, 404, protocol.CodeAccountNotFound},
		{"unknown order", frank, "ord_aaaaaaaaaaaaaaaaaaaaaaaaaa", franks, 404, protocol.CodeOrderNotFound},
		{"no session", &bench.Payer{BaseURL: s.srv.URL, HTTP: s.srv.Client(), Token: "nope"}, a.OrderID, good, 401, protocol.CodeUnauthenticated},
	} {
		ans, err := tc.payer.Confirm(ctx, tc.id, tc.req)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, tc.name, ans, tc.status, tc.code)
	}
	// Eve cannot afford order b from her own account.
	ans, _ := eve.Confirm(ctx, b.OrderID, confirmReq(t, eve, b))
	wantProblem(t, "insufficient funds", ans, 402, protocol.CodeInsufficientFunds)
	// Cancelled and expired orders.
	c := o.create(protocol.OrderRequest{TerminalOrderID: "O-c", Amount: eur(100)})
	if ans, _ := o.term.PostRaw(ctx, protocol.OrderCancelPath(c.OrderID), nil); ans.Status != 200 {
		t.Fatalf("cancel: %d %s", ans.Status, ans.Body)
	}
	ans, _ = frank.Confirm(ctx, c.OrderID, confirmReq(t, frank, c))
	wantProblem(t, "cancelled", ans, 409, protocol.CodeOrderCancelled)
	s.clock.Advance(protocol.DefaultOrderTTL)
	ans, _ = frank.Confirm(ctx, a.OrderID, franks)
	wantProblem(t, "expired", ans, 409, protocol.CodeOrderExpired)
	if got := s.balance(store.MerchantAccountID("M1")); got != 0 {
		t.Errorf("merchant balance %d after refused confirmations, want 0", got)
	}
	s.wantCheckOK()
}

func TestOrderConfirmFailuresAreThrottled(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	o := s.newOrderShop()
	carol := o.payer("carol", 50_000)
	a := o.create(protocol.OrderRequest{TerminalOrderID: "O-a", Amount: eur(1000)})
	bad := confirmReq(t, carol, a)
	bad.Amount = eur(999)
	for i := range 5 {
		ans, _ := carol.Confirm(ctx, a.OrderID, bad)
		wantProblem(t, fmt.Sprintf("tampered confirm %d", i), ans, 422, protocol.CodeOrderAmountMismatch)
	}
	// Throttled now, even with the right confirmation.
	ans, _ := carol.Confirm(ctx, a.OrderID, confirmReq(t, carol, a))
	wantProblem(t, "after 5 failures", ans, 429, protocol.CodeThrottled)
}

func TestOrderCreateRefusals(t *testing.T) {
	s := newStack(t)
	o := s.newOrderShop()
	o.create(protocol.OrderRequest{TerminalOrderID: "O-1", Amount: eur(100)})
	ctx := context.Background()
	for _, tc := range orderCreateCases {
		ans, err := o.term.PostRaw(ctx, protocol.PathOrders, []byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, tc.name, ans, tc.status, tc.code)
	}
}

// orderCreateCases are bad order requests (T1 already has order O-1 of 1.00 EUR); FuzzOrderCreate
// starts from them.
var orderCreateCases = []struct {
	name, body string
	status     int
	code       protocol.Code
}{
	{"not JSON", `{"terminal_order_id":`, 400, protocol.CodeMalformedJSON},
	{"unknown field", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"tip":5}`, 400, protocol.CodeUnknownField},
	{"no id", `{"amount":{"minor":100,"currency":"EUR"}}`, 400, protocol.CodeInvalidField},
	{"id with a space", `{"terminal_order_id":"O 2","amount":{"minor":100,"currency":"EUR"}}`, 400, protocol.CodeInvalidField},
	{"zero amount", `{"terminal_order_id":"O-2","amount":{"minor":0,"currency":"EUR"}}`, 400, protocol.CodeInvalidAmount},
	{"float amount", `{"terminal_order_id":"O-2","amount":{"minor":1.5,"currency":"EUR"}}`, 400, protocol.CodeInvalidAmount},
	{"over the maximum", `{"terminal_order_id":"O-2","amount":{"minor":50001,"currency":"EUR"}}`, 400, protocol.CodeInvalidAmount},
	{"other currency", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"USD"}}`, 400, protocol.CodeInvalidCurrency},
	{"unknown currency", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"XQZ"}}`, 400, protocol.CodeInvalidCurrency},
	{"reference too long", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"reference":"12345678901234567890123456"}`, 400, protocol.CodeInvalidField},
	{"reference with a newline", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"reference":"a\nb"}`, 400, protocol.CodeInvalidField},
	{"items do not add up", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"items":[{"description":"Tea","quantity":3,"unit_price":{"minor":30,"currency":"EUR"}}]}`, 422, protocol.CodeOrderItemsMismatch},
	{"item quantity 0", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"items":[{"description":"Tea","quantity":0,"unit_price":{"minor":100,"currency":"EUR"}}]}`, 400, protocol.CodeInvalidField},
	{"item without description", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"items":[{"quantity":1,"unit_price":{"minor":100,"currency":"EUR"}}]}`, 400, protocol.CodeInvalidField},
	{"item in another currency", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"items":[{"description":"Tea","quantity":1,"unit_price":{"minor":100,"currency":"USD"}}]}`, 400, protocol.CodeInvalidCurrency},
	{"item overflow", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"items":[{"description":"Tea","quantity":10000,"unit_price":{"minor":9223372036854775807,"currency":"EUR"}}]}`, 400, protocol.CodeInvalidAmount},
	{"expiry over an hour", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"expires_in_seconds":3601}`, 400, protocol.CodeInvalidField},
	{"negative expiry", `{"terminal_order_id":"O-2","amount":{"minor":100,"currency":"EUR"},"expires_in_seconds":-1}`, 400, protocol.CodeInvalidField},
	{"same id, other order", `{"terminal_order_id":"O-1","amount":{"minor":200,"currency":"EUR"}}`, 409, protocol.CodeIdempotencyReused},
}

// TestSixtyFourPhonesConfirmOneOrder: 64 phones of 64 users confirm one order at the same moment
// through the real HTTP server; exactly one pays, the others are told it is paid, money moves once.
func TestSixtyFourPhonesConfirmOneOrder(t *testing.T) {
	testenv.SkipIfShort(t, "64 concurrent phones on both stores")
	eachStore(t, func(t *testing.T, s *stack) {
		const phones = 64
		ctx := context.Background()
		o := s.newOrderShop()
		payers := make([]*bench.Payer, phones)
		for i := range payers {
			payers[i] = o.payer(fmt.Sprintf("u%02d", i), 10_000)
		}
		ord := o.create(protocol.OrderRequest{TerminalOrderID: "O-hot", Amount: eur(4200)})
		reqs := make([]protocol.OrderConfirmRequest, phones)
		for i, p := range payers {
			reqs[i] = confirmReq(t, p, ord)
		}
		start := make(chan struct{})
		answers := make([]bench.Answer, phones)
		var wg sync.WaitGroup
		for i, p := range payers {
			wg.Go(func() {
				<-start
				ans, err := p.Confirm(ctx, ord.OrderID, reqs[i])
				if err != nil {
					t.Errorf("phone %d: %v", i, err)
				}
				answers[i] = ans
			})
		}
		close(start)
		wg.Wait()
		paid, refused := -1, 0
		for i, ans := range answers {
			switch {
			case ans.Status == 200:
				if paid >= 0 {
					t.Errorf("phones %d and %d both paid", paid, i)
				}
				paid = i
			case ans.Problem() != nil && ans.Problem().Code == protocol.CodeOrderAlreadyPaid:
				refused++
			default:
				t.Errorf("phone %d: %d %s", i, ans.Status, ans.Body)
			}
		}
		if paid < 0 || refused != phones-1 {
			t.Fatalf("paid by %d, %d refused; want one payer and %d refused", paid, refused, phones-1)
		}
		for i := range payers {
			want := int64(10_000)
			if i == paid {
				want -= 4200
			}
			if got := s.balance(fmt.Sprintf("acc-u%02d", i)); got != want {
				t.Errorf("acc-u%02d = %d, want %d", i, got, want)
			}
		}
		if got := s.balance(store.MerchantAccountID("M1")); got != 4200 {
			t.Errorf("merchant balance %d, want 4200 (one transfer)", got)
		}
		txns, err := s.store.ListTxns(ctx, store.TxnFilter{MerchantID: "M1"})
		if err != nil || len(txns) != 1 {
			t.Errorf("merchant txns: %d, %v; want exactly 1", len(txns), err)
		}
		s.wantCheckOK()
	})
}

// TestStickerPaymentReachesTheLaneFeed: the phone pays the lane's sticker with the amount it entered;
// the lane's feed delivers the paid order once.
func TestStickerPaymentReachesTheLaneFeed(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		o := s.newOrderShop()
		carol := o.payer("carol", 50_000)
		ans, err := o.term.Get(ctx, protocol.PathTerminalStick)
		if err != nil || ans.Status != 200 {
			t.Fatalf("sticker: %d %s %v", ans.Status, ans.Body, err)
		}
		var st protocol.Sticker
		if err := ans.Decode(&st); err != nil {
			t.Fatal(err)
		}
		// The lane waits on its feed while the customer pays.
		feedCh := make(chan protocol.OrderFeed, 1)
		go func() {
			ans, err := o.term.Get(ctx, protocol.PathOrders+"?after=0&wait=30s")
			var f protocol.OrderFeed
			if err != nil || ans.Status != 200 || ans.Decode(&f) != nil {
				t.Errorf("feed: %d %s %v", ans.Status, ans.Body, err)
			}
			feedCh <- f
		}()
		time.Sleep(100 * time.Millisecond)
		req, err := carol.StaticRequest(st.MPM, "pay-1", eur(480))
		if err != nil {
			t.Fatal(err)
		}
		pa, err := carol.PayStatic(ctx, req)
		if err != nil || pa.Status != 200 {
			t.Fatalf("pay sticker: %d %s %v", pa.Status, pa.Body, err)
		}
		var paid protocol.Order
		if err := pa.Decode(&paid); err != nil || paid.State != protocol.OrderPaid || paid.Kind != protocol.OrderStatic ||
			paid.OrderID != protocol.StaticOrderID(st.StickerID, "pay-1") || paid.Approval == nil {
			t.Fatalf("sticker payment = %+v, %v", paid, err)
		}
		select {
		case f := <-feedCh:
			if len(f.Orders) != 1 || f.Orders[0].OrderID != paid.OrderID || f.Orders[0].State != protocol.OrderPaid || f.Next != paid.Seq {
				t.Errorf("feed = %+v, want the paid sticker order", f)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the feed did not deliver the sticker payment")
		}
		// The same payment again: the same answer; no second transfer.
		again, _ := carol.PayStatic(ctx, req)
		if again.Status != 200 || !bytes.Equal(again.Body, pa.Body) {
			t.Errorf("repeat sticker payment: %d %s", again.Status, again.Body)
		}
		// Nothing after the cursor.
		fa, _ := o.term.Get(ctx, fmt.Sprintf("%s?after=%d", protocol.PathOrders, paid.Seq))
		var f protocol.OrderFeed
		if fa.Decode(&f) != nil || len(f.Orders) != 0 || f.Next != paid.Seq {
			t.Errorf("feed after the cursor: %s", fa.Body)
		}
		// A changed amount on the same signature, and a forged sticker.
		bad := req
		bad.PaymentID, bad.Amount = "pay-2", eur(1)
		ans, _ = carol.PayStatic(ctx, bad)
		wantProblem(t, "sticker confirmation for another amount", ans, 422, protocol.CodeConfirmationSignature)
		forged := req
		forged.Sticker = st.MPM[:len(st.MPM)-8] + "00000000"
		ans, _ = carol.PayStatic(ctx, forged)
		if p := ans.Problem(); p == nil || (p.Code != protocol.CodeStickerInvalid) {
			t.Errorf("forged sticker: %d %s", ans.Status, ans.Body)
		}
		if got := s.balance(store.MerchantAccountID("M1")); got != 480 {
			t.Errorf("merchant balance %d, want 480", got)
		}
		s.wantCheckOK()
	})
}

// TestShutdownAnswersLongPolls: graceful shutdown does not wait out a minute-long poll; the poll is
// answered at once with the order as it is, and Serve returns cleanly.
func TestShutdownAnswersLongPolls(t *testing.T) {
	s := newStack(t)
	o := s.newOrderShop()
	ord := o.create(protocol.OrderRequest{TerminalOrderID: "O-1", Amount: eur(500)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, s.srv.Config.Handler, ServeConfig{Listener: ln}) }()
	term := *o.term
	term.BaseURL = "http://" + ln.Addr().String()
	polled := make(chan bench.Answer, 1)
	go func() {
		ans, err := term.Get(context.Background(), protocol.OrderPath(ord.OrderID)+"?wait=60s")
		if err != nil {
			t.Error(err)
		}
		polled <- ans
	}()
	time.Sleep(200 * time.Millisecond) // the poll is being held
	start := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(ShutdownTimeout / 2):
		t.Fatal("shutdown is waiting for the long-poll")
	}
	ans := <-polled
	var got protocol.Order
	if ans.Status != 200 || ans.Decode(&got) != nil || got.State != protocol.OrderPending {
		t.Errorf("long-poll at shutdown: %d %s", ans.Status, ans.Body)
	}
	t.Logf("shutdown with a held long-poll took %v", time.Since(start).Round(time.Millisecond))
}

// TestReplayedOrderRequestIsRefused: the same signed create request twice (same nonce) is refused
// nonce_replayed, and makes no second order; a new signature of the same body gets the same order.
func TestReplayedOrderRequestIsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		o := s.newOrderShop()
		raw := []byte(`{"terminal_order_id":"O-1","amount":{"minor":100,"currency":"EUR"}}`)
		req, err := o.term.SignedPost(ctx, protocol.PathOrders, raw)
		if err != nil {
			t.Fatal(err)
		}
		replay := req.Clone(ctx)
		first, err := o.term.Send(req)
		if err != nil || first.Status != 201 {
			t.Fatalf("create: %d %s %v", first.Status, first.Body, err)
		}
		replay.Body = io.NopCloser(bytes.NewReader(raw))
		again, err := o.term.Send(replay)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, "replayed signed request", again, 401, protocol.CodeNonceReplayed)
		fresh, err := o.term.PostRaw(ctx, protocol.PathOrders, raw)
		if err != nil || fresh.Status != 201 || !bytes.Equal(fresh.Body, first.Body) {
			t.Errorf("retry with a new signature: %d %s, want the first answer", fresh.Status, fresh.Body)
		}
		feed, _ := o.term.Get(ctx, protocol.PathOrders)
		var f protocol.OrderFeed
		if feed.Decode(&f) != nil || len(f.Orders) != 1 {
			t.Errorf("feed after a replay: %s, want one order", feed.Body)
		}
	})
}
