package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Bad values for the two kinds of free text. Ids (protocol.CheckID) refuse '/' and spaces too; every
// text refuses control characters, invisible format characters and length over its bound.
var (
	badIDs = map[string]string{
		"slash":    "T1/1",
		"nul":      "a\x00b",
		"newline":  "a\nb",
		"space":    "a b",
		"too long": strings.Repeat("a", protocol.MaxIDLen+1),
	}
	badTexts = map[string]string{
		"nul":           "INV\x00-1",
		"newline":       "two\nlines",
		"escape":        "\x1b[2J",
		"bidi override": "abc\u202edcba",
		"too long":      strings.Repeat("a", 2000), // over every text bound (the payload's is the largest)
	}
)

// freeTextField is one free-text field of one route: body builds a valid request with the field set
// to v.
type freeTextField struct {
	route string // "terminal", "wallet", "bearer", "merchant" or "admin"
	path  string
	field string
	id    bool // an id: badIDs apply as well as badTexts
	body  func(v string) any
}

// freeTextFields lists every free-text field a client can send to settlementd.
func freeTextFields() []freeTextField {
	tx := func(txn, payload, ref string) protocol.TransactionRequest {
		return protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(100), Payload: payload, Reference: ref}
	}
	return []freeTextField{
		{"terminal", protocol.PathTransactions, "terminal_txn_id", true, func(v string) any { return tx(v, "SP1:X", "") }},
		{"terminal", protocol.PathTransactions, "payload", false, func(v string) any { return tx("x1", v, "") }},
		{"terminal", protocol.PathTransactions, "reference", false, func(v string) any { return tx("x1", "SP1:X", v) }},
		{"terminal", protocol.PathVoids, "terminal_txn_id", true, func(v string) any { return protocol.VoidRequest{TerminalTxnID: v, TargetTxnID: "x0"} }},
		{"terminal", protocol.PathVoids, "target_txn_id", true, func(v string) any { return protocol.VoidRequest{TerminalTxnID: "v1", TargetTxnID: v} }},
		{"terminal", protocol.PathRefunds, "terminal_txn_id", true, func(v string) any {
			return protocol.RefundRequest{TerminalTxnID: v, TargetTxnID: "x0", Amount: eur(1)}
		}},
		{"terminal", protocol.PathRefunds, "target_txn_id", true, func(v string) any {
			return protocol.RefundRequest{TerminalTxnID: "r1", TargetTxnID: v, Amount: eur(1)}
		}},
		{"terminal", protocol.PathBatches, "batch_id", false, func(v string) any {
			return protocol.BatchRequest{BatchID: v, Items: []protocol.BatchItem{{Kind: protocol.KindOnline, TerminalTxnID: "b1", Amount: eur(1), Payload: "SP1:X"}}}
		}},
		{"terminal", protocol.PathOrders, "terminal_order_id", true, func(v string) any {
			return protocol.OrderRequest{TerminalOrderID: v, Amount: eur(100)}
		}},
		{"terminal", protocol.PathOrders, "reference", false, func(v string) any {
			return protocol.OrderRequest{TerminalOrderID: "o1", Amount: eur(100), Reference: v}
		}},
		{"terminal", protocol.PathOrders, "items[0].description", false, func(v string) any {
			return protocol.OrderRequest{TerminalOrderID: "o1", Amount: eur(100), Items: []protocol.OrderItem{{Description: v, Quantity: 1, UnitPrice: eur(100)}}}
		}},
		{"wallet", protocol.PathSessions, "user_id", true, func(v string) any { return protocol.SessionRequest{UserID: v, Password: "correct horse"} }},
		{"wallet", protocol.PathSessions, "password", false, func(v string) any { return protocol.SessionRequest{UserID: "alice", Password: v} }},
		{"bearer", protocol.PathAuthorizations, "account_id", true, func(v string) any {
			return protocol.AuthorizationRequest{AccountID: v, DevicePublicKey: make([]byte, 32), CapPerPayment: eur(100), MaxCodes: 1}
		}},
		{"wallet", protocol.PathEnroll, "enroll_code", false, func(v string) any { return protocol.EnrollRequest{EnrollCode: v, PublicKey: make([]byte, 32)} }},
		{"wallet", protocol.PathEnroll, "hostname", false, func(v string) any {
			return protocol.EnrollRequest{EnrollCode: "AAAA", PublicKey: make([]byte, 32), Hostname: v}
		}},
		{"wallet", protocol.PathEnroll, "version", false, func(v string) any {
			return protocol.EnrollRequest{EnrollCode: "AAAA", PublicKey: make([]byte, 32), Version: v}
		}},
		{"admin", admin.PathMerchants, "merchant_id", true, func(v string) any { return admin.MerchantRequest{MerchantID: v, Name: "Shop", Currency: "EUR"} }},
		{"admin", admin.PathMerchants, "name", false, func(v string) any { return admin.MerchantRequest{MerchantID: "M9", Name: v, Currency: "EUR"} }},
		{"admin", admin.PathMerchants, "receipt_header[1]", false, func(v string) any {
			return admin.MerchantRequest{MerchantID: "M9", Name: "Shop", Currency: "EUR", ReceiptHeader: []string{"ok", v}}
		}},
		{"admin", admin.PathMerchants, "mcc", false, func(v string) any {
			return admin.MerchantRequest{MerchantID: "M9", Name: "Shop", Currency: "EUR", MCC: v}
		}},
		{"admin", admin.PathMerchantTokens, "merchant_id", true, func(v string) any { return admin.MerchantTokenRequest{MerchantID: v} }},
		{"admin", admin.PathMerchantTokens, "name", false, func(v string) any { return admin.MerchantTokenRequest{MerchantID: "M1", Name: v} }},
		{"merchant", protocol.PathMerchantCampaigns, "title", false, func(v string) any {
			return protocol.CampaignRequest{Title: v, Conditions: json.RawMessage(`{"groups":[[{"type":"first_time"}]]}`), Discount: protocol.OfferRule{Kind: "percent", Value: 500}}
		}},
		{"merchant", protocol.PathMerchantCampaigns, "text", false, func(v string) any {
			return protocol.CampaignRequest{Title: "Coffee", Text: v, Conditions: json.RawMessage(`{"groups":[[{"type":"first_time"}]]}`), Discount: protocol.OfferRule{Kind: "percent", Value: 500}}
		}},
		{"admin", admin.PathTerminals, "terminal_id", true, func(v string) any { return admin.TerminalRequest{TerminalID: v, MerchantID: "M1"} }},
		{"admin", admin.PathTerminals, "merchant_id", true, func(v string) any { return admin.TerminalRequest{TerminalID: "T9", MerchantID: v} }},
		{"admin", admin.PathTerminals, "name", false, func(v string) any { return admin.TerminalRequest{TerminalID: "T9", MerchantID: "M1", Name: v} }},
		{"admin", admin.PathUsers, "user_id", true, func(v string) any { return admin.UserRequest{UserID: v, Password: "long enough"} }},
		{"admin", admin.PathUsers, "name", false, func(v string) any { return admin.UserRequest{UserID: "bob", Name: v, Password: "long enough"} }},
		{"admin", admin.PathUsers, "password", false, func(v string) any { return admin.UserRequest{UserID: "bob", Password: v + "long enough"} }},
		{"admin", admin.PathAccounts, "account_id", true, func(v string) any { return admin.AccountRequest{AccountID: v, UserID: "alice", OpeningBalance: eur(1)} }},
		{"admin", admin.PathAccounts, "user_id", true, func(v string) any { return admin.AccountRequest{AccountID: "acc9", UserID: v, OpeningBalance: eur(1)} }},
		{"admin", admin.PathRevocations, "id", true, func(v string) any { return admin.RevocationRequest{Kind: admin.RevokeTerminal, ID: v} }},
		{"admin", admin.PathUnlock, "id", true, func(v string) any { return map[string]string{"kind": "user", "id": v} }},
		{"admin", admin.PathImports, "terminal_id", true, func(v string) any {
			return protocol.Export{Format: protocol.ExportFormat, TerminalID: v, Items: []protocol.BatchItem{}}
		}},
	}
}

// TestEveryFreeTextFieldIsValidatedOnBothStores sends every bad value in every free-text field of every
// route to a stack on each store: each answer is a 400 invalid_field problem naming the field (a
// batch refuses the bad item alone), never a 500, and nothing is stored.
func TestEveryFreeTextFieldIsValidatedOnBothStores(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		sh := s.newShop()
		ctx := context.Background()
		token, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "alice", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		// A wallet with a code for each good batch item below.
		if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice2", UserID: "alice", OpeningBalance: eur(10000)}); err != nil {
			t.Fatal(err)
		}
		w, err := bench.Authorize(ctx, s.srv.Client(), s.srv.URL, token, "acc-alice2", eur(100), 40, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		mt, err := s.admin.IssueMerchantToken(ctx, admin.MerchantTokenRequest{MerchantID: "M1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range freeTextFields() {
			bad := map[string]string{}
			for k, v := range badTexts {
				bad[k] = v
			}
			if f.id {
				for k, v := range badIDs {
					bad[k] = v
				}
			}
			for name, v := range bad {
				raw, err := json.Marshal(f.body(v))
				if err != nil {
					t.Fatal(err)
				}
				var status int
				var body []byte
				switch f.route {
				case "terminal":
					ans, err := sh.term.PostRaw(ctx, f.path, raw)
					if err != nil {
						t.Fatal(err)
					}
					status, body = ans.Status, ans.Body
				case "merchant":
					status, body = s.post(f.path, "bearer", mt.Token, raw)
				default:
					status, body = s.post(f.path, f.route, token, raw)
				}
				var p protocol.Problem
				if status != http.StatusBadRequest || json.Unmarshal(body, &p) != nil || p.Code != protocol.CodeInvalidField || p.Field != f.field {
					t.Errorf("%s %s %s: got %d %s, want 400 invalid_field naming %s", f.path, f.field, name, status, body, f.field)
				}
			}
		}
		// In a batch the bad item is refused alone, as a decline naming the field.
		for _, field := range []string{"terminal_txn_id", "payload", "reference", "target_txn_id"} {
			for name, v := range badTexts {
				good, err := w.Code(s.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				item := protocol.BatchItem{Kind: protocol.KindOnline, TerminalTxnID: "bt" + field[:3] + name[:2], Amount: eur(1), Payload: "SP1:X"}
				switch field {
				case "terminal_txn_id":
					item.TerminalTxnID = v
				case "payload":
					item.Payload = v
				case "reference":
					item.Reference = v
				case "target_txn_id":
					item = protocol.BatchItem{Kind: protocol.KindVoid, TerminalTxnID: item.TerminalTxnID, TargetTxnID: v}
				}
				goodItem := protocol.BatchItem{Kind: protocol.KindOnline, TerminalTxnID: "ok" + field[:3] + name[:2], Amount: eur(1), Payload: good}
				ans, err := sh.term.Post(ctx, protocol.PathBatches, protocol.BatchRequest{BatchID: "b", Items: []protocol.BatchItem{item, goodItem}})
				if err != nil {
					t.Fatal(err)
				}
				var r protocol.BatchResponse
				if ans.Status != http.StatusOK || ans.Decode(&r) != nil || len(r.Results) != 2 {
					t.Fatalf("batch with bad %s (%s): %d %s", field, name, ans.Status, ans.Body)
				}
				if r.Results[0].Code != protocol.CodeInvalidField || !strings.HasPrefix(r.Results[0].Message, field+" ") {
					t.Errorf("batch item with bad %s (%s): %+v", field, name, r.Results[0])
				}
				if r.Results[1].Status != protocol.StatusApproved {
					t.Errorf("good item next to a bad %s (%s): %+v", field, name, r.Results[1])
				}
			}
		}
		// Admin query parameters.
		for _, path := range []string{admin.PathTransactions, admin.PathAccounts, admin.PathTerminals, admin.PathAuthorizations, admin.PathMerchants, admin.PathUsers} {
			for _, param := range []string{"terminal_id", "merchant_id", "user_id", "authorization_id", "owner_id", "kind", "account_id", "after_id"} {
				st, p := s.adminGet(path, param+"=a%00b", nil)
				if st != http.StatusBadRequest || p == nil || p.Code != protocol.CodeInvalidField || p.Field != param {
					t.Errorf("GET %s?%s=NUL: %d %+v", path, param, st, p)
				}
			}
		}
		assertOnlyShopStored(t, s)
	})
}

// assertOnlyShopStored checks that the refused requests added nothing: newShop's records are all
// there is, and the ledger is consistent.
func assertOnlyShopStored(t *testing.T, s *stack) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"M9", "T9", "bob", "acc9", "a"} {
		_, errM := s.store.GetMerchant(ctx, id)
		_, errT := s.store.GetTerminal(ctx, id)
		_, errU := s.store.GetUser(ctx, id)
		_, errA := s.store.GetAccount(ctx, id)
		if errM == nil || errT == nil || errU == nil || errA == nil {
			t.Fatalf("a refused request stored %s", id)
		}
	}
	rep, err := s.admin.Check(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

// post sends a JSON body to a wallet ("wallet": no credentials, "bearer": the session token) or admin
// route and returns the status and body.
func (s *stack) post(path, route, token string, body []byte) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch route {
	case "admin":
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// TestBatchWithNULReferenceRefusesOnlyThatItem: one register sale whose reference holds a NUL byte
// is refused alone with a problem code on every store (it made the whole batch 500 on PostgreSQL, on
// every retry, blocking the terminal's queue); the retry gets the same answers.
func TestBatchWithNULReferenceRefusesOnlyThatItem(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		sh := s.newShop()
		ctx := context.Background()
		code, err := sh.wallet.Code(s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		good, err := sh.wallet.Code(s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		batch := protocol.BatchRequest{BatchID: "b1", Items: []protocol.BatchItem{
			{Kind: protocol.KindOnline, TerminalTxnID: "n1", Amount: eur(100), Payload: code, Reference: "INV\x00-1"},
			{Kind: protocol.KindOnline, TerminalTxnID: "n2", Amount: eur(100), Payload: good, Reference: "INV-2"},
		}}
		for try := range 2 {
			ans, err := sh.term.Post(ctx, protocol.PathBatches, batch)
			if err != nil {
				t.Fatal(err)
			}
			var r protocol.BatchResponse
			if ans.Status != 200 || ans.Decode(&r) != nil || len(r.Results) != 2 {
				t.Fatalf("try %d: %d %s", try, ans.Status, ans.Body)
			}
			if r.Results[0].Status != protocol.StatusDeclined || r.Results[0].Code != protocol.CodeInvalidField {
				t.Fatalf("try %d: NUL reference: %+v", try, r.Results[0])
			}
			if r.Results[1].Status != protocol.StatusApproved {
				t.Fatalf("try %d: good item: %+v", try, r.Results[1])
			}
		}
	})
}
