package localapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
)

// pendingOrders creates orders that stay pending until cancelled, as a server whose customers do not
// pay.
type pendingOrders struct {
	mu     sync.Mutex
	orders map[string]protocol.Order
}

func (p *pendingOrders) CreateOrder(_ context.Context, req protocol.OrderRequest) (protocol.Order, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := protocol.Order{OrderID: "ord_" + strings.ToLower(strings.ReplaceAll(req.TerminalOrderID, "-", "")), TerminalOrderID: req.TerminalOrderID,
		Amount: req.Amount, State: protocol.OrderPending, ExpiresAt: time.Now().Add(5 * time.Minute), MPM: "000201010212" + req.TerminalOrderID}
	if prev, ok := p.orders[o.OrderID]; ok {
		return prev, nil
	}
	p.orders[o.OrderID] = o
	return o, nil
}

func (p *pendingOrders) Order(ctx context.Context, id string, wait time.Duration) (protocol.Order, error) {
	p.mu.Lock()
	o := p.orders[id]
	p.mu.Unlock()
	if o.State != protocol.OrderPending {
		return o, nil
	}
	select {
	case <-ctx.Done():
	case <-time.After(min(wait, 50*time.Millisecond)):
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.orders[id], ctx.Err()
}

func (p *pendingOrders) CancelOrder(_ context.Context, id string) (protocol.Order, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orders[id]
	o.State = protocol.OrderCancelled
	p.orders[id] = o
	return o, nil
}

func newOrderTestServer(t testing.TB) *httptest.Server {
	store := queue.NewMemory()
	ag := agent.New(agent.Options{Store: store, Server: decliningServer{}, Orders: &pendingOrders{orders: map[string]protocol.Order{}},
		Verifier: offline.NewVerifier(nil, protocol.TerminalLimits{}, false), Identity: config.IdentityState{TerminalID: "T-1"}, Currency: "EUR"})
	t.Cleanup(ag.Close)
	srv := httptest.NewServer(NewServer(Deps{Agent: ag, Store: store, Currency: "EUR"}))
	t.Cleanup(srv.Close)
	return srv
}

// orderRequestCases is the table for TestOrderRequests and the seed corpus of FuzzStartOrder.
var orderRequestCases = []struct {
	name       string
	body       string
	wantStatus int
	wantCode   protocol.Code
}{
	{"valid", `{"amount":"12.50","reference":"TABLE-4"}`, http.StatusCreated, ""},
	{"validity", `{"amount":"1.00","expires_in":"90s"}`, http.StatusCreated, ""},
	{"validity too long", `{"amount":"1.00","expires_in":"2h"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"validity not a duration", `{"amount":"1.00","expires_in":"soon"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"negative validity", `{"amount":"1.00","expires_in":"-5m"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"zero amount", `{"amount":"0.00"}`, http.StatusBadRequest, protocol.CodeInvalidAmount},
	{"float amount", `{"amount":12.5}`, http.StatusBadRequest, protocol.CodeMalformedJSON},
	{"unknown field", `{"amount":"1.00","tip":"1"}`, http.StatusBadRequest, protocol.CodeMalformedJSON},
	{"unknown currency", `{"amount":"1.00","currency":"XBT"}`, http.StatusBadRequest, protocol.CodeInvalidAmount},
	{"long reference", `{"amount":"1.00","reference":"` + strings.Repeat("r", 100) + `"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"NUL in reference", `{"amount":"1.00","reference":"T\u0000-4"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"huge body", `{"amount":"1.00","reference":"` + strings.Repeat("r", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge},
}

func postOrder(t testing.TB, url, body string) (*http.Response, protocol.Problem) {
	resp, err := http.Post(url+PathOrders, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p protocol.Problem
	if resp.StatusCode >= 300 {
		json.NewDecoder(resp.Body).Decode(&p)
	}
	return resp, p
}

func TestOrderRequests(t *testing.T) {
	srv := newOrderTestServer(t)
	for _, tc := range orderRequestCases {
		t.Run(tc.name, func(t *testing.T) {
			resp, p := postOrder(t, srv.URL, tc.body)
			if resp.StatusCode != tc.wantStatus || p.Code != tc.wantCode {
				t.Fatalf("status %d code %q, want %d %q (%s)", resp.StatusCode, p.Code, tc.wantStatus, tc.wantCode, p.Detail)
			}
		})
	}
}

func FuzzStartOrder(f *testing.F) {
	for _, tc := range orderRequestCases {
		f.Add(tc.body)
	}
	srv := newOrderTestServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		resp, _ := postOrder(t, srv.URL, body)
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
	})
}

func TestOrderLifecycleOverHTTP(t *testing.T) {
	srv := newOrderTestServer(t)
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.StartOrder(ctx, StartOrderRequest{Amount: "7.40", Reference: "R-7"})
	if err != nil || v.Amount.Minor != 740 || v.Final {
		t.Fatalf("start: %+v %v", v, err)
	}
	for v.State != agent.OrderPending {
		if v, err = c.Order(ctx, v.ID, 5*time.Second, v.State); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(v.QR, "000201010212") || v.OrderID == "" {
		t.Fatalf("pending: %+v", v)
	}
	text, err := c.OrderReceipt(ctx, v.ID)
	if err != nil || !strings.Contains(text, "SCAN TO PAY") {
		t.Fatalf("slip: %q %v", text, err)
	}
	if _, err := c.CancelOrder(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	v, err = c.WaitOrderDone(ctx, v, nil)
	if err != nil || v.State != agent.OrderCancelled || !v.Reported {
		t.Fatalf("after cancel: %+v %v", v, err)
	}
	if _, err := c.CancelOrder(ctx, v.ID); err == nil {
		t.Fatal("a cancelled order was cancelled again")
	}
	if _, err := c.Order(ctx, "T-1-000000999", 0, ""); err == nil || !strings.Contains(err.Error(), "no such order") {
		t.Fatalf("unknown order: %v", err)
	}
	list, err := c.RecentOrders(ctx, 5)
	if err != nil || len(list) != 1 || list[0].ID != v.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
}
