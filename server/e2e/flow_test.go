package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestPaymentFlow is issue 3's first "done when": the real binaries, an operator setting up a shop, a
// wallet authorizing and then (offline) showing three codes that an enrolled terminal pays.
func TestPaymentFlow(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	srv := startServer(t, data)

	tc := srv.shop()

	term, enrolled, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	if enrolled.MerchantID != "M1" || len(enrolled.ServerKeys) == 0 {
		t.Fatalf("enrollment answer %+v", enrolled)
	}
	if _, _, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc.EnrollCode); protocol.ProblemCode(err) != protocol.CodeEnrollCodeUsed {
		t.Fatalf("second enrollment with the same code: %v", err)
	}

	home := t.TempDir()
	walletCmd(t, home, "login", "--server", srv.URL, "--user", "alice")
	walletCmd(t, home, "authorize", "--account", "acc-alice", "--cap", "20.00", "--codes", "5", "--ttl", "1h")
	bal := srv.balances()
	if bal["acc-alice"] != 0 || bal["hold:"+authorizationID(t, srv, "alice")] != 10000 {
		t.Fatalf("after the first approval: %v (want the whole 100.00 held)", bal)
	}

	// The wallet is offline from here on: `wallet code` never touches the network.
	codes := make([]string, 3)
	for i := range codes {
		codes[i] = strings.TrimSpace(walletCmd(t, home, "code", "--raw"))
	}
	pay := func(txn string, minor int64, code string) bench.Answer {
		t.Helper()
		ans, err := term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{
			TerminalTxnID: txn, Amount: money.Amount{Minor: minor, Currency: "EUR"}, Payload: code})
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	amounts := []int64{1250, 725, 300}
	answers := make([]bench.Answer, 3)
	for i, code := range codes {
		answers[i] = pay("T1-00000"+string(rune('1'+i)), amounts[i], code)
		if answers[i].Status != http.StatusOK {
			t.Fatalf("payment %d: %d %s", i, answers[i].Status, answers[i].Body)
		}
		var resp protocol.TransactionResponse
		if err := answers[i].Decode(&resp); err != nil {
			t.Fatal(err)
		}
		appr, err := protocol.VerifyApproval(*resp.Approval, enrolled.ServerKeys)
		if err != nil || appr.Amount.Minor != amounts[i] || len(appr.ApprovalCode) != 6 {
			t.Fatalf("payment %d approval %+v: %v", i, appr, err)
		}
	}
	authID := authorizationID(t, srv, "alice")
	want := map[string]int64{
		"acc-alice":      3*2000 - (1250 + 725 + 300), // three 20.00 slots released, 22.75 paid
		"merchant:M1":    1250 + 725 + 300,
		"hold:" + authID: 10000 - 3*2000,
		"system:EUR":     -10000,
	}
	assertBalances(t, srv.balances(), want)

	// The same transaction id again: charged once, answered byte for byte the same.
	again := pay("T1-000001", 1250, codes[0])
	if again.Status != answers[0].Status || !bytes.Equal(again.Body, answers[0].Body) {
		t.Fatalf("retry answer differs:\n%s\n%s", answers[0].Body, again.Body)
	}
	assertBalances(t, srv.balances(), want)

	declined := func(ans bench.Answer, code protocol.Code) {
		t.Helper()
		var resp protocol.TransactionResponse
		if ans.Status != http.StatusPaymentRequired || ans.Decode(&resp) != nil || resp.Code != code || resp.Status != protocol.StatusDeclined {
			t.Fatalf("want a 402 decline %s, got %d %s", code, ans.Status, ans.Body)
		}
	}
	// A used code under a new transaction id.
	declined(pay("T1-000010", 100, codes[1]), protocol.CodeCodeUsed)
	// A tampered code: one character changed (the checksum catches it) ...
	fresh := strings.TrimSpace(walletCmd(t, home, "code", "--raw"))
	declined(pay("T1-000011", 100, flipChar(fresh)), protocol.CodePayloadChecksum)
	// ... and a forgery with a recomputed checksum (the MAC catches it: the server checks the MAC,
	// terminals the device signature).
	declined(pay("T1-000012", 100, forgeCode(t, fresh)), protocol.CodePayloadMAC)
	assertBalances(t, srv.balances(), want)

	// An expired credential: a second wallet authorizes for 2 seconds, shows a code, and the
	// terminal presents it after the expiry.
	home2 := t.TempDir()
	walletCmd(t, home2, "login", "--server", srv.URL, "--user", "alice")
	walletCmd(t, home2, "authorize", "--account", "acc-alice", "--cap", "1.00", "--codes", "1", "--ttl", "2s")
	short := strings.TrimSpace(walletCmd(t, home2, "code", "--raw"))
	p, err := payload.Parse(short)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(p.Credential.ExpiresAt) + 50*time.Millisecond)
	declined(pay("T1-000013", 50, short), protocol.CodeCredentialExpired)

	want["acc-alice"] -= 100 // the second authorization's 1.00 hold
	want["hold:"+p.AuthorizationID] = 100
	assertBalances(t, srv.balances(), want)

	var txns admin.Transactions
	srv.adminJSON(&txns, "transactions", "--terminal", "T1")
	approved := 0
	for _, x := range txns.Transactions {
		if x.Status == "approved" {
			approved++
		}
	}
	if approved != 3 {
		t.Fatalf("admin transactions shows %d approved, want 3: %+v", approved, txns)
	}
	srv.check()
	srv.stop()
}

func assertBalances(t *testing.T, got, want map[string]int64) {
	t.Helper()
	for id, w := range want {
		if got[id] != w {
			t.Fatalf("balance of %s = %d, want %d (all: %v)", id, got[id], w, got)
		}
	}
}

// authorizationID returns the user's first authorization.
func authorizationID(t *testing.T, srv *server, user string) string {
	t.Helper()
	var list admin.Authorizations
	srv.adminJSON(&list, "authorizations", "--user", user)
	if len(list.Authorizations) == 0 {
		t.Fatalf("no authorization for %s", user)
	}
	oldest := list.Authorizations[0]
	for _, a := range list.Authorizations {
		if a.CreatedAt.Before(oldest.CreatedAt) {
			oldest = a
		}
	}
	return oldest.AuthorizationID
}

// flipChar changes one Base45 character of the payload text.
func flipChar(text string) string {
	b := []byte(text)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// forgeCode changes the one-time code inside the payload and recomputes the CRC-32C, as an attacker
// who knows the format would: only the MAC (and, at a terminal, the device signature) stands in the
// way.
func forgeCode(t *testing.T, text string) string {
	t.Helper()
	raw, err := base45.Decode(strings.TrimPrefix(text, payload.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	// docs/protocol.md, version 2: ... code (4), offer length (1: no offer), device signature (64),
	// MAC (16), checksum (4).
	offCode := len(raw) - 4 - 16 - 64 - 1 - 4
	code := binary.BigEndian.Uint32(raw[offCode:])
	binary.BigEndian.PutUint32(raw[offCode:], (code+1)%1_000_000_000)
	body := raw[:len(raw)-4]
	binary.BigEndian.PutUint32(raw[len(body):], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	return payload.Prefix + base45.Encode(raw)
}

var _ = json.Marshal
