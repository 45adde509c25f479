package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

func post(t *testing.T, term *bench.Terminal, path string, body any) bench.Answer {
	t.Helper()
	ans, err := term.Post(context.Background(), path, body)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

func txnResponse(t *testing.T, ans bench.Answer) protocol.TransactionResponse {
	t.Helper()
	var r protocol.TransactionResponse
	if err := ans.Decode(&r); err != nil {
		t.Fatalf("not a transaction response: %d %s", ans.Status, ans.Body)
	}
	return r
}

func TestVoidsAndRefunds(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	now := s.clock.Now()
	code := func() string {
		c, err := sh.wallet.Code(now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Pay 15.00, refund 5.00, then 10.01 (too much), then the remaining 10.00.
	if r := txnResponse(t, post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "p1", Amount: eur(1500), Payload: code()})); r.Status != protocol.StatusApproved {
		t.Fatalf("payment: %+v", r)
	}
	cust := s.balance("acc-alice")
	refund := func(id string, minor int64) protocol.TransactionResponse {
		return txnResponse(t, post(t, sh.term, protocol.PathRefunds, protocol.RefundRequest{TerminalTxnID: id, TargetTxnID: "p1", Amount: eur(minor)}))
	}
	if r := refund("r1", 500); r.Status != protocol.StatusRefunded || r.Approval == nil {
		t.Fatalf("refund: %+v", r)
	}
	if r := refund("r2", 1001); r.Status != protocol.StatusDeclined || r.Code != protocol.CodeRefundExceeds {
		t.Fatalf("refund beyond the payment: %+v", r)
	}
	if r := refund("r3", 1000); r.Status != protocol.StatusRefunded {
		t.Fatalf("rest of the refund: %+v", r)
	}
	if got := s.balance("merchant:M1"); got != 0 {
		t.Fatalf("merchant after full refund: %d", got)
	}
	if got := s.balance("acc-alice"); got != cust+1500 {
		t.Fatalf("customer after full refund: %d, want %d", got, cust+1500)
	}
	if r := txnResponse(t, post(t, sh.term, protocol.PathRefunds, protocol.RefundRequest{TerminalTxnID: "r4", TargetTxnID: "nope", Amount: eur(1)})); r.Code != protocol.CodeTransactionUnknown {
		t.Fatalf("refund of an unknown payment: %+v", r)
	}

	// A void of a payment that was applied reverses it.
	if r := txnResponse(t, post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "p2", Amount: eur(700), Payload: code()})); r.Status != protocol.StatusApproved {
		t.Fatalf("payment 2: %+v", r)
	}
	void := post(t, sh.term, protocol.PathVoids, protocol.VoidRequest{TerminalTxnID: "v2", TargetTxnID: "p2"})
	if r := txnResponse(t, void); r.Status != protocol.StatusVoided {
		t.Fatalf("void: %d %s", void.Status, void.Body)
	}
	if got := s.balance("merchant:M1"); got != 0 {
		t.Fatalf("merchant after void: %d", got)
	}
	if again := post(t, sh.term, protocol.PathVoids, protocol.VoidRequest{TerminalTxnID: "v2", TargetTxnID: "p2"}); !bytes.Equal(again.Body, void.Body) {
		t.Fatalf("void replay differs: %s", again.Body)
	}

	// A void of a payment the server never saw: the payment can never apply afterwards.
	if r := txnResponse(t, post(t, sh.term, protocol.PathVoids, protocol.VoidRequest{TerminalTxnID: "v3", TargetTxnID: "p3"})); r.Status != protocol.StatusVoided {
		t.Fatalf("void of an unseen payment: %+v", r)
	}
	late := post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "p3", Amount: eur(300), Payload: code()})
	if r := txnResponse(t, late); late.Status != http.StatusPaymentRequired || r.Code != protocol.CodeAlreadyVoided {
		t.Fatalf("voided payment arriving late: %d %s", late.Status, late.Body)
	}
	if got := s.balance("merchant:M1"); got != 0 {
		t.Fatalf("a voided payment moved money: merchant %d", got)
	}
	assertCheck(t, s)
}

func assertCheck(t *testing.T, s *stack) {
	t.Helper()
	rep, err := s.admin.Check(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func TestBatchOfflineItemsSettleFromTheHold(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	approvedAt := s.clock.Now().Add(-time.Minute)
	var items []protocol.BatchItem
	for i := range 3 {
		c, err := sh.wallet.Code(approvedAt)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, protocol.BatchItem{Kind: protocol.KindOffline, TerminalTxnID: "o" + string(rune('1'+i)), Amount: eur(2000), Payload: c, ApprovedAt: approvedAt})
	}
	// The same code again under a new id (a customer showing one code twice to a terminal that
	// missed it), an item with a bad field, and a void of the second item.
	dup := items[0]
	dup.TerminalTxnID = "o9"
	items = append(items, dup,
		protocol.BatchItem{Kind: "refill", TerminalTxnID: "x1"},
		protocol.BatchItem{Kind: protocol.KindVoid, TerminalTxnID: "v1", TargetTxnID: "o2"})
	// The customer has nothing available: only the hold pays for these.
	if got := s.balance("acc-alice"); got != 0 {
		t.Fatalf("customer balance before the batch: %d", got)
	}
	ans := post(t, sh.term, protocol.PathBatches, protocol.BatchRequest{BatchID: "b1", Items: items})
	var br protocol.BatchResponse
	if ans.Status != http.StatusOK || ans.Decode(&br) != nil || len(br.Results) != len(items) {
		t.Fatalf("batch: %d %s", ans.Status, ans.Body)
	}
	want := []struct {
		status string
		code   protocol.Code
	}{{"approved", ""}, {"approved", ""}, {"approved", ""}, {"declined", protocol.CodeCodeUsed}, {"declined", protocol.CodeInvalidField}, {"voided", ""}}
	// The answer is signed once, for this request; each approval is proven by its audit path.
	if err := protocol.VerifyBatch(br, ans.Nonce, s.svc.ServerKeys()); err != nil {
		t.Fatalf("batch answer: %v", err)
	}
	for i, w := range want {
		r := br.Results[i]
		if r.Status != w.status || r.Code != w.code || r.TerminalTxnID != items[i].TerminalTxnID {
			t.Errorf("item %d: %+v, want %s %s", i, r, w.status, w.code)
		}
		if r.Status == protocol.StatusApproved {
			var a protocol.Approval
			err := protocol.ProofFor(br, i).Verify(r, s.svc.ServerKeys())
			if err == nil {
				err = json.Unmarshal(r.Approval.Approval, &a)
			}
			if err != nil || len(r.Approval.Signature) != 0 || !a.Offline || !a.ApprovedAt.Equal(approvedAt.UTC().Truncate(time.Microsecond)) {
				t.Errorf("item %d approval %+v (per-item signature %d bytes): %v", i, a, len(r.Approval.Signature), err)
			}
		}
	}
	if got, want := s.balance("merchant:M1"), int64(2*2000); got != want {
		t.Fatalf("merchant balance %d, want %d (three settled, one voided)", got, want)
	}
	// The whole batch again: every settled item replays, nothing moves.
	again := post(t, sh.term, protocol.PathBatches, protocol.BatchRequest{BatchID: "b1", Items: items})
	var br2 protocol.BatchResponse
	if again.Decode(&br2) != nil {
		t.Fatal(again.Status)
	}
	for i := range items {
		if i == 4 {
			continue // the refused item was not recorded; it is refused again, the same way
		}
		if br2.Results[i].Status != br.Results[i].Status || br2.Results[i].Code != br.Results[i].Code {
			t.Errorf("item %d changed on replay: %+v -> %+v", i, br.Results[i], br2.Results[i])
		}
	}
	if got := s.balance("merchant:M1"); got != 4000 {
		t.Fatalf("merchant after the replayed batch: %d", got)
	}
	assertCheck(t, s)
}

func TestKeyRotationKeepsOldAnswersIdentical(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	c1, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	req := protocol.TransactionRequest{TerminalTxnID: "k1", Amount: eur(100), Payload: c1}
	first := post(t, sh.term, protocol.PathTransactions, req)
	oldKey := txnResponse(t, first).Approval.KeyID
	enrolled := s.svc.ServerKeys() // what the terminal was given at enrollment
	nk, err := s.admin.RotateKey(ctx)
	if err != nil || nk.KeyID == oldKey {
		t.Fatalf("rotate: %+v %v", nk, err)
	}
	if again := post(t, sh.term, protocol.PathTransactions, req); !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("the replay after a rotation differs:\n%s\n%s", first.Body, again.Body)
	}
	c2, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	second := txnResponse(t, post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "k2", Amount: eur(100), Payload: c2}))
	if second.Approval == nil || second.Approval.KeyID != nk.KeyID {
		t.Fatalf("new approval not signed by the new key: %+v", second)
	}
	keys := s.svc.ServerKeys()
	if len(keys) != 2 {
		t.Fatalf("keys after rotation: %+v", keys)
	}
	for _, r := range []protocol.TransactionResponse{txnResponse(t, first), second} {
		if _, err := protocol.VerifyApproval(*r.Approval, keys); err != nil {
			t.Fatalf("approval by %s does not verify: %v", r.Approval.KeyID, err)
		}
	}
	// GET /v1/keys carries the endorsement a terminal that knows only the old key needs.
	resp, err := s.srv.Client().Get(s.srv.URL + protocol.PathServerKeys)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var listed keysResponse
	if err := json.NewDecoder(resp.Body).Decode(&listed); err != nil {
		t.Fatal(err)
	}
	merged, added, err := protocol.AcceptKeys(enrolled, listed.Keys)
	if err != nil || len(added) != 1 || added[0] != nk.KeyID {
		t.Fatalf("a terminal enrolled before the rotation: added %v, err %v", added, err)
	}
	if _, err := protocol.VerifyApproval(*second.Approval, merged); err != nil {
		t.Fatalf("the new key's approval with the accepted keys: %v", err)
	}
}

func TestExpiredHoldIsReleasedAfterTheGrace(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	c, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := txnResponse(t, post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "e1", Amount: eur(500), Payload: c})); r.Status != protocol.StatusApproved {
		t.Fatalf("payment: %+v", r)
	}
	hold := "hold:" + sh.wallet.Auth.AuthorizationID
	if got := s.balance(hold); got != 8000 {
		t.Fatalf("hold after one payment: %d", got)
	}
	// Past expiry but inside the grace: the hold stays for late offline batches.
	s.clock.Advance(2 * time.Hour)
	if _, err := s.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.balance(hold); got != 8000 {
		t.Fatalf("hold released inside the grace period: %d", got)
	}
	s.clock.Advance(8 * 24 * time.Hour)
	if _, err := s.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.balance(hold); got != 0 {
		t.Fatalf("hold not released after the grace: %d", got)
	}
	if got := s.balance("acc-alice"); got != 10000-500 {
		t.Fatalf("customer after release: %d, want %d", got, 10000-500)
	}
	assertCheck(t, s)
}

func TestMetricsAndPublicEndpoints(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	c, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "m1", Amount: eur(100), Payload: c})
	post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "m2", Amount: eur(100), Payload: c})
	post(t, sh.term, protocol.PathBatches, protocol.BatchRequest{BatchID: "b", Items: []protocol.BatchItem{{Kind: protocol.KindVoid, TerminalTxnID: "v", TargetTxnID: "m1"}}})
	get := func(path string) string {
		t.Helper()
		resp, err := s.srv.Client().Get(s.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	m := get(protocol.PathMetrics)
	for _, want := range []string{
		`settlementd_approvals_total{kind="online"} 1`,
		`settlementd_approvals_total{kind="void"} 1`,
		`settlementd_declines_total{reason="code_used"} 1`,
		`settlementd_batch_items_count 1`,
		`settlementd_http_requests_total{code="200",route="transactions"} 1`,
		`settlementd_http_request_duration_seconds_count{route="batches"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if b := get(protocol.PathHealth); !strings.Contains(b, `"ok"`) {
		t.Errorf("healthz: %s", b)
	}
	if b := get(protocol.PathTime); !strings.Contains(b, s.clock.Now().UTC().Format("2006-01-02T15:04:05")) {
		t.Errorf("time: %s", b)
	}
	if b := get(protocol.PathServerKeys); !strings.Contains(b, `"current":true`) {
		t.Errorf("keys: %s", b)
	}
	self, err := sh.term.Get(context.Background(), protocol.PathTerminalConfig)
	if err != nil || self.Status != http.StatusOK || !strings.Contains(string(self.Body), `"terminal_id":"T1"`) {
		t.Errorf("terminal self: %d %s %v", self.Status, self.Body, err)
	}
}
