package api

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestServerChecksThePayloadMAC: the server's proof check is the MAC. A forged MAC and a MAC made
// under another authorization's key are declined payload_mac_invalid and move no money; a retired
// SP1 code is declined payload_version online, while an SP1 item a terminal approved offline
// before its update still settles.
func TestServerChecksThePayloadMAC(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	tok, err := bench.Login(ctx, s.srv.Client(), s.srv.URL, "alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-alice-2", UserID: "alice", OpeningBalance: eur(1000)}); err != nil {
		t.Fatal(err)
	}
	other, err := bench.Authorize(ctx, s.srv.Client(), s.srv.URL, tok, "acc-alice-2", eur(100), 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := s.clock.Now()
	declined := func(txn string, text string, want protocol.Code) {
		t.Helper()
		ans := post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(100), Payload: text})
		var r protocol.TransactionResponse
		if ans.Status != http.StatusPaymentRequired || ans.Decode(&r) != nil || r.Code != want {
			t.Fatalf("%s: got %d %s, want a 402 %s", txn, ans.Status, ans.Body, want)
		}
	}
	build := func(counter uint32, secret []byte) string {
		t.Helper()
		step := otp.StepAt(now)
		text, err := payload.Build(payload.Spec{Credential: sh.wallet.Auth.Credential, Secret: secret, Counter: counter,
			Step: step, Code: otp.PaymentCode(sh.wallet.Auth.Secret, step, counter), DeviceKey: sh.wallet.Key})
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	before := s.balance("merchant:M1")
	declined("m1", flipMACBit(t, build(0, sh.wallet.Auth.Secret)), protocol.CodePayloadMAC)
	declined("m2", build(1, other.Auth.Secret), protocol.CodePayloadMAC)

	v1 := func(counter uint32, at time.Time) string {
		t.Helper()
		step := otp.StepAt(at)
		text, err := payload.BuildV1(sh.wallet.Auth.Credential, counter, step, otp.PaymentCode(sh.wallet.Auth.Secret, step, counter), sh.wallet.Key)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	declined("m3", v1(2, now), protocol.CodePayloadVersion)
	if got := s.balance("merchant:M1"); got != before {
		t.Fatalf("merchant balance moved on declines: %d -> %d", before, got)
	}

	// The genuine code of the first counter still pays: the declines spent nothing.
	if ans := post(t, sh.term, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: "m4", Amount: eur(100), Payload: build(0, sh.wallet.Auth.Secret)}); ans.Status != http.StatusOK {
		t.Fatalf("genuine code: %d %s", ans.Status, ans.Body)
	}
	approvedAt := now.Add(-time.Minute)
	ans := post(t, sh.term, protocol.PathBatches, protocol.BatchRequest{BatchID: "b1", Items: []protocol.BatchItem{
		{Kind: protocol.KindOffline, TerminalTxnID: "o1", Amount: eur(100), Payload: v1(3, approvedAt), ApprovedAt: approvedAt},
	}})
	var br protocol.BatchResponse
	if ans.Status != http.StatusOK || ans.Decode(&br) != nil || len(br.Results) != 1 || br.Results[0].Status != protocol.StatusApproved {
		t.Fatalf("SP1 offline item: %d %s", ans.Status, ans.Body)
	}
	if got := s.balance("merchant:M1"); got != before+200 {
		t.Fatalf("merchant balance %d, want %d", got, before+200)
	}
	assertCheck(t, s)
}

// flipMACBit flips the last bit of a version-2 payload's MAC and recomputes the checksum, as a
// forger who knows the format would.
func flipMACBit(t *testing.T, text string) string {
	t.Helper()
	raw, err := base45.Decode(strings.TrimPrefix(text, payload.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-5] ^= 1 // the MAC's last byte, before the 4-byte checksum
	body := raw[:len(raw)-4]
	binary.BigEndian.PutUint32(raw[len(body):], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	return payload.Prefix + base45.Encode(raw)
}
