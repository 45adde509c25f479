package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// badBody is one malformed or refused request body for a signed terminal route.
type badBody struct {
	name   string
	path   string
	body   string
	status int
	code   protocol.Code
}

// badBodies is the table of request bodies the API must refuse with a stable code. The decoding fuzz
// tests start from these bodies too.
func badBodies() []badBody {
	tx := protocol.PathTransactions
	return []badBody{
		{"empty body", tx, ``, 400, protocol.CodeMalformedJSON},
		{"not json", tx, `hello`, 400, protocol.CodeMalformedJSON},
		{"truncated", tx, `{"terminal_txn_id":"x"`, 400, protocol.CodeMalformedJSON},
		{"array", tx, `[1,2]`, 400, protocol.CodeMalformedJSON},
		{"two values", tx, `{"terminal_txn_id":"a","amount":{"minor":1,"currency":"EUR"},"payload":"x"}{}`, 400, protocol.CodeMalformedJSON},
		{"unknown field", tx, `{"terminal_txn_id":"a","amount":{"minor":1,"currency":"EUR"},"payload":"x","tip":5}`, 400, protocol.CodeUnknownField},
		{"zero amount", tx, `{"terminal_txn_id":"a","amount":{"minor":0,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidAmount},
		{"negative amount", tx, `{"terminal_txn_id":"a","amount":{"minor":-5,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidAmount},
		{"overflowing amount", tx, `{"terminal_txn_id":"a","amount":{"minor":99999999999999999999,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidAmount},
		{"fractional amount", tx, `{"terminal_txn_id":"a","amount":{"minor":1.5,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidAmount},
		{"amount as string", tx, `{"terminal_txn_id":"a","amount":{"minor":"12.50","currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidAmount},
		{"unknown currency", tx, `{"terminal_txn_id":"a","amount":{"minor":5,"currency":"XXX"},"payload":"x"}`, 400, protocol.CodeInvalidCurrency},
		{"no txn id", tx, `{"amount":{"minor":5,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidField},
		{"long txn id", tx, `{"terminal_txn_id":"` + strings.Repeat("a", 65) + `","amount":{"minor":5,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidField},
		{"txn id with space", tx, `{"terminal_txn_id":"a b","amount":{"minor":5,"currency":"EUR"},"payload":"x"}`, 400, protocol.CodeInvalidField},
		{"no payload", tx, `{"terminal_txn_id":"a","amount":{"minor":5,"currency":"EUR"}}`, 400, protocol.CodeInvalidField},
		{"huge payload", tx, `{"terminal_txn_id":"a","amount":{"minor":5,"currency":"EUR"},"payload":"` + strings.Repeat("A", protocol.MaxPayloadChars+1) + `"}`, 400, protocol.CodeInvalidField},
		{"body too large", tx, `{"terminal_txn_id":"a","payload":"` + strings.Repeat("A", protocol.MaxBodyBytes) + `"}`, 413, protocol.CodeBodyTooLarge},
		{"void with amount", protocol.PathVoids, `{"terminal_txn_id":"v","target_txn_id":"a","amount":{"minor":5,"currency":"EUR"}}`, 400, protocol.CodeUnknownField},
		{"void of itself", protocol.PathVoids, `{"terminal_txn_id":"v","target_txn_id":"v"}`, 400, protocol.CodeInvalidField},
		{"refund no amount", protocol.PathRefunds, `{"terminal_txn_id":"r","target_txn_id":"a"}`, 400, protocol.CodeInvalidAmount},
		{"empty batch", protocol.PathBatches, `{"batch_id":"b","items":[]}`, 400, protocol.CodeInvalidField},
		{"batch items not a list", protocol.PathBatches, `{"batch_id":"b","items":{}}`, 400, protocol.CodeInvalidField},
		{"batch over the limit", protocol.PathBatches, `{"batch_id":"b","items":[` + strings.TrimSuffix(strings.Repeat(`{},`, protocol.MaxBatchItems+1), ",") + `]}`, 413, protocol.CodeBatchTooLarge},
		{"batch body too large", protocol.PathBatches, `{"batch_id":"` + strings.Repeat("A", protocol.MaxBatchBodyBytes) + `"}`, 413, protocol.CodeBodyTooLarge},
		{"batch item bad time", protocol.PathBatches, `{"batch_id":"b","items":[{"kind":"offline","approved_at":"yesterday"}]}`, 400, protocol.CodeInvalidField},
	}
}

func TestBadRequestBodiesAreRefusedWithStableCodes(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	for _, tc := range badBodies() {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := sh.term.PostRaw(ctx, tc.path, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			p := ans.Problem()
			if ans.Status != tc.status || p == nil || p.Code != tc.code || p.Status != tc.status {
				t.Fatalf("got %d %s, want %d %s", ans.Status, ans.Body, tc.status, tc.code)
			}
		})
	}
	assertUntouched(t, s)
}

// assertUntouched checks that nothing was paid and the ledger is consistent.
func assertUntouched(t *testing.T, s *stack) {
	t.Helper()
	if got := s.balance("merchant:M1"); got != 0 {
		t.Fatalf("refused requests moved money: merchant balance %d", got)
	}
	rep, err := s.admin.Check(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func TestForgedStaleReplayedAndRevokedTerminalRequests(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	body := []byte(`{"terminal_txn_id":"x1","amount":{"minor":5,"currency":"EUR"},"payload":"x"}`)
	send := func(req *http.Request) *protocol.Problem {
		t.Helper()
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusPaymentRequired {
			return &protocol.Problem{Status: resp.StatusCode} // a decline: authenticated and answered
		}
		var p protocol.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != p.Status {
			t.Fatalf("answer %d is not a problem document: %v", resp.StatusCode, err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != protocol.ContentTypeProblem {
			t.Fatalf("content type %q", ct)
		}
		return &p
	}
	newReq := func() *http.Request {
		req, err := http.NewRequest(http.MethodPost, s.srv.URL+protocol.PathTransactions, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	signed := func(id string, key ed25519.PrivateKey, at time.Time) *http.Request {
		req := newReq()
		if err := protocol.SignRequest(req, id, key, at, body); err != nil {
			t.Fatal(err)
		}
		return req
	}
	_, otherKey, _ := ed25519.GenerateKey(nil)
	now := s.clock.Now()
	cases := []struct {
		name   string
		req    *http.Request
		status int
		code   protocol.Code
	}{
		{"unsigned", newReq(), 401, protocol.CodeSignatureMissing},
		{"forged (other key)", signed("T1", otherKey, now), 401, protocol.CodeSignatureInvalid},
		{"unknown terminal", signed("T9", otherKey, now), 401, protocol.CodeTerminalUnknown},
		{"stale", signed("T1", sh.term.Key, now.Add(-protocol.MaxRequestSkew-time.Minute)), 401, protocol.CodeRequestStale},
		{"from the future", signed("T1", sh.term.Key, now.Add(protocol.MaxRequestSkew+time.Minute)), 401, protocol.CodeRequestStale},
	}
	for _, tc := range cases {
		if p := send(tc.req); p.Status != tc.status || p.Code != tc.code {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, p.Status, p.Code, tc.status, tc.code)
		}
	}
	// The same signed request twice: the second is a replay.
	first := signed("T1", sh.term.Key, now)
	second := newReq()
	second.Header = first.Header.Clone()
	if p := send(first); p.Status != http.StatusPaymentRequired { // the payload "x" is declined after authentication
		t.Fatalf("first send: %+v", p)
	}
	if p := send(second); p.Status != 401 || p.Code != protocol.CodeNonceReplayed {
		t.Fatalf("replay: %+v", p)
	}
	// A revoked terminal is refused at once.
	if _, err := s.admin.Revoke(ctx, admin.RevokeTerminal, "T1"); err != nil {
		t.Fatal(err)
	}
	if p := send(signed("T1", sh.term.Key, now)); p.Status != 403 || p.Code != protocol.CodeTerminalRevoked {
		t.Fatalf("revoked terminal: %+v", p)
	}
	assertUntouched(t, s)
}

// wrongCode builds a payload with a valid device signature and MAC but a wrong one-time code.
func wrongCode(t *testing.T, w *bench.Wallet, counter uint32, now time.Time) string {
	t.Helper()
	step := otp.StepAt(now)
	code := (otp.PaymentCode(w.Auth.Secret, step, counter) + 1) % otp.MaxCode
	text, err := payload.Build(payload.Spec{Credential: w.Auth.Credential, Secret: w.Auth.Secret, Counter: counter,
		Step: step, Code: code, DeviceKey: w.Key})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestDeclinesAreFinalAndMoveNoMoney(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	decline := func(txn string, amount int64, text string, want protocol.Code) {
		t.Helper()
		ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(amount), Payload: text})
		if err != nil {
			t.Fatal(err)
		}
		var r protocol.TransactionResponse
		if ans.Status != http.StatusPaymentRequired || ans.Decode(&r) != nil || r.Code != want {
			t.Fatalf("%s: got %d %s, want a 402 %s", txn, ans.Status, ans.Body, want)
		}
		again, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(amount), Payload: text})
		if err != nil || !bytes.Equal(again.Body, ans.Body) {
			t.Fatalf("%s: the decline is not replayed byte for byte: %s", txn, again.Body)
		}
	}
	now := s.clock.Now()
	decline("d1", 100, wrongCode(t, sh.wallet, 0, now), protocol.CodeCodeInvalid)
	decline("d2", 100, "SP1:%%%", protocol.CodePayloadMalformed)
	decline("d3", 100, "SP9:ABC", protocol.CodePayloadVersion)
	// A currency the merchant does not take.
	code, err := sh.wallet.Code(now)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "d4", Amount: money.Amount{Minor: 100, Currency: "USD"}, Payload: code})
	if err != nil {
		t.Fatal(err)
	}
	var r protocol.TransactionResponse
	if ans.Decode(&r) != nil || r.Code != protocol.CodeCurrencyMismatch {
		t.Fatalf("currency mismatch: %d %s", ans.Status, ans.Body)
	}
	// Over the credential's cap of 20.00: the customer must confirm a larger amount (flow 2).
	code, err = sh.wallet.Code(now)
	if err != nil {
		t.Fatal(err)
	}
	decline("d5", 2001, code, protocol.CodeConfirmationRequired)
	// A revoked authorization, then an expired one (by the fake clock).
	code, err = sh.wallet.Code(now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.Revoke(ctx, admin.RevokeAuthorization, sh.wallet.Auth.AuthorizationID); err != nil {
		t.Fatal(err)
	}
	decline("d6", 100, code, protocol.CodeCredentialRevoked)
	assertUntouched(t, s)
}

func TestFailedCodesAreThrottledPerUserWithDailyCap(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	try := func(i int) bench.Answer {
		t.Helper()
		ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{
			TerminalTxnID: "g" + string(rune('a'+i)), Amount: eur(100), Payload: wrongCode(t, sh.wallet, uint32(i%5), s.clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	for i := range 5 {
		if ans := try(i); ans.Status != http.StatusPaymentRequired {
			t.Fatalf("wrong code %d: %d %s", i, ans.Status, ans.Body)
		}
	}
	ans := try(5)
	p := ans.Problem()
	if ans.Status != http.StatusTooManyRequests || p == nil || p.Code != protocol.CodeThrottled || p.RetryAfterSeconds <= 0 {
		t.Fatalf("sixth wrong code in the window: %d %s", ans.Status, ans.Body)
	}
	// A good code is refused too while throttled: the guesser cannot tell.
	good, err := sh.wallet.Code(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	gans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "good1", Amount: eur(100), Payload: good})
	if err != nil || gans.Status != http.StatusTooManyRequests {
		t.Fatalf("good code while throttled: %d %s", gans.Status, gans.Body)
	}
	// After the window: five more failures reach the daily cap of ten.
	s.clock.Advance(service.ThrottleWindow + time.Second)
	for i := 6; i < 11; i++ {
		if ans := try(i); ans.Status != http.StatusPaymentRequired {
			t.Fatalf("wrong code %d after the window: %d %s", i, ans.Status, ans.Body)
		}
	}
	s.clock.Advance(service.ThrottleWindow + time.Second)
	ans = try(11)
	if p := ans.Problem(); ans.Status != http.StatusTooManyRequests || p == nil || p.Code != protocol.CodeUserLocked {
		t.Fatalf("over the daily cap: %d %s", ans.Status, ans.Body)
	}
	if err := s.admin.Unlock(ctx, "user", "alice"); err != nil {
		t.Fatal(err)
	}
	if ans := try(12); ans.Status != http.StatusPaymentRequired {
		t.Fatalf("after unlock: %d %s", ans.Status, ans.Body)
	}
	assertUntouched(t, s)
}

// forgedPayload is a well-formed payload whose credential the server never issued (signed by some
// other key, for an authorization that does not exist).
func forgedPayload(t *testing.T, now time.Time, authID string) string {
	t.Helper()
	_, serverKey, _ := ed25519.GenerateKey(nil)
	devPub, devKey, _ := ed25519.GenerateKey(nil)
	c, err := credential.Sign(credential.Credential{UserID: "alice", AuthorizationID: authID, DevicePublicKey: devPub,
		Currency: "EUR", CapPerPayment: 100, MaxCodes: 5, IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}, "k-forged", serverKey)
	if err != nil {
		t.Fatal(err)
	}
	text, err := payload.Build(payload.Spec{Credential: c.Marshal(), Secret: make([]byte, otp.SecretSize), Counter: 0,
		Step: otp.StepAt(now), Code: 123456789, DeviceKey: devKey})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestForgedCredentialsAreThrottledPerTerminal(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	for i := range service.TermFailuresPerWindow {
		ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{
			TerminalTxnID: fmt.Sprintf("f%d", i), Amount: eur(100), Payload: forgedPayload(t, s.clock.Now(), fmt.Sprintf("au_forged%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		if r := txnResponse(t, ans); r.Code != protocol.CodeAuthorizationUnknown {
			t.Fatalf("forgery %d: %d %s", i, ans.Status, ans.Body)
		}
	}
	ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{
		TerminalTxnID: "f-last", Amount: eur(100), Payload: forgedPayload(t, s.clock.Now(), "au_forged_last")})
	if err != nil {
		t.Fatal(err)
	}
	if p := ans.Problem(); ans.Status != http.StatusTooManyRequests || p == nil || p.Code != protocol.CodeThrottled {
		t.Fatalf("terminal over its window: %d %s", ans.Status, ans.Body)
	}
	// The user named in the forgeries was not counted: a forger cannot lock a customer out.
	fc, err := s.store.CodeFailures(ctx, store.Subject{Kind: store.SubjectUser, ID: "alice"}, s.clock.Now().Add(-time.Hour), s.clock.Now())
	if err != nil || fc.InWindow != 0 || fc.Today != 0 {
		t.Fatalf("user failures after forgeries: %+v %v", fc, err)
	}
	assertUntouched(t, s)
}
