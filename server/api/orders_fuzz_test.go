package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// confirmBodyCases are confirm bodies built from a valid confirmation (good), each with the answer
// it must get; FuzzOrderConfirm starts from them.
func confirmBodyCases(good protocol.OrderConfirmRequest) []struct {
	name, body string
	status     int
	code       protocol.Code
} {
	raw, _ := json.Marshal(good)
	js := string(raw)
	b64 := base64.StdEncoding.EncodeToString
	replace := func(old, new string) string { return strings.Replace(js, old, new, 1) }
	return []struct {
		name, body string
		status     int
		code       protocol.Code
	}{
		{"empty", ``, 400, protocol.CodeMalformedJSON},
		{"truncated", js[:len(js)/2], 400, protocol.CodeMalformedJSON},
		{"two values", js + js, 400, protocol.CodeMalformedJSON},
		{"array", `[` + js + `]`, 400, protocol.CodeMalformedJSON},
		{"unknown field", replace(`{`, `{"tip":1,`), 400, protocol.CodeUnknownField},
		{"signature not base64", replace(`"signature":"`, `"signature":"!!`), 400, protocol.CodeInvalidField},
		{"short signature", replace(b64(good.Signature), b64(good.Signature[:10])), 400, protocol.CodeInvalidField},
		{"short key", replace(b64(good.DevicePublicKey), b64(good.DevicePublicKey[:31])), 400, protocol.CodeInvalidField},
		{"short hash", replace(b64(good.OrderSignatureSHA256), b64(good.OrderSignatureSHA256[:16])), 400, protocol.CodeInvalidField},
		{"no account", replace(`"account_id":"`+good.AccountID+`"`, `"account_id":""`), 400, protocol.CodeInvalidField},
		{"account with NUL", replace(`"account_id":"`+good.AccountID+`"`, `"account_id":"a\u0000b"`), 400, protocol.CodeInvalidField},
		{"float amount", replace(`"minor":`, `"minor":0.5e1`), 400, protocol.CodeInvalidAmount},
		{"negative amount", replace(`"minor":`, `"minor":-`), 400, protocol.CodeInvalidAmount},
		{"unknown currency", replace(`"currency":"EUR"`, `"currency":"EUX"`), 400, protocol.CodeInvalidCurrency},
		{"other amount", replace(`"minor":`, `"minor":1`), 422, protocol.CodeOrderAmountMismatch},
		{"other merchant", replace(`"merchant_id":"M1"`, `"merchant_id":"M2"`), 422, protocol.CodeOrderSignatureMismatch},
		{"huge", `{"account_id":"` + strings.Repeat("a", 70_000) + `"}`, 413, protocol.CodeBodyTooLarge},
		{"good", js, 200, ""},
		{"good again", js, 200, ""},
	}
}

// fuzzOrderStack is a stack with order O-1 of 10.00 EUR and carol's phone, for the confirm tests.
func fuzzOrderStack(t testing.TB) (*stack, *bench.Payer, protocol.Order, protocol.OrderConfirmRequest) {
	s := newStack(t)
	o := s.newOrderShop()
	carol := o.payer("carol", 50_000)
	ord := o.create(protocol.OrderRequest{TerminalOrderID: "O-1", Amount: eur(1000)})
	return s, carol, ord, confirmReq(t, carol, ord)
}

// postConfirm sends a raw confirm body and checks what any answer must be: no 500, a problem
// document with a code, or the paid order.
func postConfirm(t *testing.T, s *stack, p *bench.Payer, id, body string) (int, protocol.Code) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.srv.URL+protocol.OrderConfirmPath(id), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.Token)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		var o protocol.Order
		if err := json.NewDecoder(resp.Body).Decode(&o); err != nil || o.State != protocol.OrderPaid || o.Approval == nil {
			t.Fatalf("200 without a paid order: %+v, %v", o, err)
		}
		return resp.StatusCode, ""
	}
	var pr protocol.Problem
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil || pr.Code == "" || pr.Status != resp.StatusCode {
		t.Fatalf("%d without a problem document: %+v, %v", resp.StatusCode, pr, err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("confirm body %q: %d %+v", body, resp.StatusCode, pr)
	}
	return resp.StatusCode, pr.Code
}

func TestOrderConfirmBodies(t *testing.T) {
	s, carol, ord, good := fuzzOrderStack(t)
	for _, tc := range confirmBodyCases(good) {
		status, code := postConfirm(t, s, carol, ord.OrderID, tc.body)
		if status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, code, tc.status, tc.code)
		}
		// Keep the throttle out of the way: these cases are about the body.
		if err := s.store.ClearCodeFailures(context.Background(), store.Subject{Kind: store.SubjectUser, ID: "carol"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.balance(store.MerchantAccountID("M1")); got != 1000 {
		t.Errorf("merchant balance %d, want 1000: paid once", got)
	}
}

// FuzzOrderConfirm sends arbitrary confirm bodies, seeded from TestOrderConfirmBodies' cases, to
// the real server: never a 500, always a problem document or the paid order, and the order is paid
// at most once.
func FuzzOrderConfirm(f *testing.F) {
	s, carol, ord, good := fuzzOrderStack(f)
	for _, tc := range confirmBodyCases(good) {
		f.Add(tc.body)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body string) {
		postConfirm(t, s, carol, ord.OrderID, body)
		if err := s.store.ClearCodeFailures(ctx, store.Subject{Kind: store.SubjectUser, ID: "carol"}); err != nil {
			t.Fatal(err)
		}
		m, err := s.store.GetAccount(ctx, store.MerchantAccountID("M1"))
		if err != nil || (m.Balance != 0 && m.Balance != 1000) {
			t.Fatalf("merchant balance %d, %v: the order was paid more than once", m.Balance, err)
		}
	})
}

// FuzzOrderCreate sends arbitrary signed order requests, seeded from TestOrderCreateRefusals'
// cases: never a 500, always a problem document or an order that adds up.
func FuzzOrderCreate(f *testing.F) {
	s := newStack(f)
	o := s.newOrderShop()
	for _, tc := range orderCreateCases {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(`{"terminal_order_id":"O-9","amount":{"minor":500,"currency":"EUR"},"items":[{"description":"Tea","quantity":2,"unit_price":{"minor":250,"currency":"EUR"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ans, err := o.term.PostRaw(context.Background(), protocol.PathOrders, body)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Status == http.StatusCreated {
			var ord protocol.Order
			if err := ans.Decode(&ord); err != nil || ord.State == "" || ord.MPM == "" || ord.Amount.Minor <= 0 {
				t.Fatalf("201 without an order: %s, %v", ans.Body, err)
			}
			var sum int64
			for _, it := range ord.Items {
				sum += it.Quantity * it.UnitPrice.Minor
			}
			if len(ord.Items) > 0 && sum != ord.Amount.Minor {
				t.Fatalf("order items add up to %d, amount %d", sum, ord.Amount.Minor)
			}
			return
		}
		p := ans.Problem()
		if p == nil || p.Code == "" || ans.Status >= 500 {
			t.Fatalf("body %q: %d %s", body, ans.Status, ans.Body)
		}
	})
}
