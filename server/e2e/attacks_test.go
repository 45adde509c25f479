package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/wallet/wallettest/cloned"
)

// garbageMAC is a payload as anyone who saw one of the customer's QR codes can make: the credential
// (in clear) and a MAC they cannot compute (here the real one with its last byte flipped).
func garbageMAC(t *testing.T, text string) string {
	t.Helper()
	raw, err := base45.Decode(strings.TrimPrefix(text, payload.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	body := raw[:len(raw)-4]
	body[len(body)-1] ^= 0xff
	return payload.Prefix + base45.Encode(binary.BigEndian.AppendUint32(body, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli))))
}

// TestIssue10AttacksWithTheRealBinary replays the attack campaign of issue #10 against a real
// settlementd process, as terminals over HTTP, with a wallet made by the real wallet binary:
// an online charge over the cap, an offline item dated before the credential existed, garbage MACs
// meant to lock the customer out, and code guessing by a cloned phone, concurrent and in a batch
// with the right code hidden in it.
func TestIssue10AttacksWithTheRealBinary(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, t.TempDir())
	tc := srv.shop()
	srv.admin("account", "add", "--id", "acc-rich", "--user", "alice", "--opening", "1000.00", "--currency", "EUR")
	var tc2 admin.TerminalCreated
	srv.adminJSON(&tc2, "terminal", "add", "--id", "T2", "--merchant", "M1")
	t1, _, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	t2, _, err := bench.Enroll(ctx, http.DefaultClient, srv.URL, tc2.EnrollCode)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	walletCmd(t, home, "login", "--server", srv.URL, "--user", "alice")
	walletCmd(t, home, "authorize", "--account", "acc-rich", "--cap", "20.00", "--codes", "10", "--ttl", "1h")
	phone := cloned.Clone(t, home)
	eur := func(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }
	pay := func(term *bench.Terminal, txn string, minor int64, text string) (int, protocol.TransactionResponse) {
		t.Helper()
		ans, err := term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(minor), Payload: text})
		if err != nil {
			t.Fatal(err)
		}
		var r protocol.TransactionResponse
		if p := ans.Problem(); p != nil && ans.Status != http.StatusPaymentRequired {
			return ans.Status, protocol.TransactionResponse{Status: protocol.StatusDeclined, Code: p.Code, Message: p.Detail}
		}
		if err := ans.Decode(&r); err != nil {
			t.Fatalf("%s: %d %s", txn, ans.Status, ans.Body)
		}
		return ans.Status, r
	}
	batch := func(term *bench.Terminal, id string, items []protocol.BatchItem) []protocol.TransactionResponse {
		t.Helper()
		ans, err := term.Post(ctx, protocol.PathBatches, protocol.BatchRequest{BatchID: id, Items: items})
		var br protocol.BatchResponse
		if err != nil || ans.Status != http.StatusOK || ans.Decode(&br) != nil || len(br.Results) != len(items) {
			t.Fatalf("batch %s: %v %d %.300s", id, err, ans.Status, ans.Body)
		}
		return br.Results
	}

	// Point 1: 820.00 online with a 20.00-cap code (the wallet binary's own code).
	code := strings.TrimSpace(walletCmd(t, home, "code", "--raw"))
	if status, r := pay(t1, "big", 82_000, code); status != http.StatusPaymentRequired || r.Code != protocol.CodeConfirmationRequired || !strings.Contains(r.Message, "/v1/orders") {
		t.Errorf("820.00 over a 20.00 cap: %d %+v; want 402 confirmation_required", status, r)
	}
	if status, r := pay(t1, "at-cap", 2000, code); status != http.StatusOK || r.Status != protocol.StatusApproved {
		t.Errorf("the same code at the cap: %d %+v", status, r)
	}

	// Point 5: an offline item whose code was made, and dated, 7 minutes before the credential.
	early := phone.Auth.IssuedAt.Add(-7 * time.Minute)
	r := batch(t1, "early", []protocol.BatchItem{{Kind: protocol.KindOffline, TerminalTxnID: "early", Amount: eur(1000), Payload: phone.Code(t, 9, early, true), ApprovedAt: early}})[0]
	if r.Status != protocol.StatusDeclined || r.Code != protocol.CodeCredentialInvalid {
		t.Errorf("offline item made before the credential was issued: %+v; want credential_invalid", r)
	}

	// Point 3: T2 sends 40 payloads with the customer's credential and garbage MACs.
	var refusedT2 int
	for i := range 40 {
		status, r := pay(t2, fmt.Sprintf("g%02d", i), 100, garbageMAC(t, phone.Code(t, 8, time.Now(), true)))
		switch {
		case status == http.StatusTooManyRequests:
			refusedT2++
		case r.Code != protocol.CodePayloadMAC:
			t.Errorf("garbage MAC %d: %d %+v", i, status, r)
		}
	}
	if refusedT2 != 20 {
		t.Errorf("T2 refused %d of 40 garbage payloads, want all after its 20-failure window limit", refusedT2)
	}
	code = strings.TrimSpace(walletCmd(t, home, "code", "--raw"))
	if status, r := pay(t1, "victim-pays", 500, code); status != http.StatusOK {
		t.Errorf("the victim of the garbage at another terminal: %d %+v; want approved", status, r)
	}

	// Point 2: a cloned phone guesses: 64 concurrent online requests at T1.
	var mu sync.Mutex
	judged, refused := 0, 0
	var wg sync.WaitGroup
	for i := range 64 {
		text := phone.Code(t, 7, time.Now(), false)
		wg.Go(func() {
			status, r := pay(t1, fmt.Sprintf("c%02d", i), 100, text)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Code == protocol.CodeCodeInvalid:
				judged++
			case status == http.StatusTooManyRequests:
				refused++
			default:
				t.Errorf("guess %d: %d %+v", i, status, r)
			}
		})
	}
	wg.Wait()
	t.Logf("real settlementd, 64 concurrent guesses: %d judged, %d refused", judged, refused)
	if judged != 5 {
		t.Errorf("%d concurrent guesses judged, want the window limit 5", judged)
	}
	// Then a batch of 1,000 offline guesses with the right code at item 500: the user is locked.
	items := make([]protocol.BatchItem, protocol.MaxBatchItems)
	now := time.Now()
	for i := range items {
		items[i] = protocol.BatchItem{Kind: protocol.KindOffline, TerminalTxnID: fmt.Sprintf("b%04d", i), Amount: eur(100),
			Payload: phone.Code(t, 6, now, i == 500), ApprovedAt: now}
	}
	judged = 0
	results := batch(t1, "guesses", items)
	for _, r := range results {
		if r.Code == protocol.CodeCodeInvalid || r.Status == protocol.StatusApproved {
			judged++
		}
	}
	t.Logf("real settlementd, batch of 1,000 offline guesses after that: %d judged; the right code: %s %s", judged, results[500].Status, results[500].Code)
	if judged != 0 || results[500].Status == protocol.StatusApproved || results[500].Code != protocol.CodeThrottled {
		t.Errorf("batch after the lock: %d judged, right code %+v; want none judged and the right code throttled", judged, results[500])
	}
	bal := srv.balances()
	if bal["merchant:M1"] != 2500 {
		t.Errorf("merchant balance %d, want 2500 (the at-cap payment and the victim's 5.00)", bal["merchant:M1"])
	}
	srv.check()
}
