package service

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

func TestRequestHashNamesThePaymentNotTheRoute(t *testing.T) {
	base := Request{Kind: protocol.KindOnline, TerminalTxnID: "T-1", Amount: money.Amount{Minor: 1250, Currency: "EUR"}, Payload: "SP1:X", Reference: "r"}
	same := []struct {
		name string
		r    Request
	}{
		{"queued as an online batch item", FromBatchItem(protocol.BatchItem{Kind: protocol.KindOnline, TerminalTxnID: "T-1", Amount: base.Amount, Payload: "SP1:X", Reference: "r"})},
		{"approved offline instead", FromBatchItem(protocol.BatchItem{Kind: protocol.KindOffline, TerminalTxnID: "T-1", Amount: base.Amount, Payload: "SP1:X", Reference: "r", ApprovedAt: time.Now()})},
		{"from a transaction request", FromTransaction(protocol.TransactionRequest{TerminalTxnID: "T-1", Amount: base.Amount, Payload: "SP1:X", Reference: "r"})},
	}
	for _, tc := range same {
		if !bytes.Equal(tc.r.hash(), base.hash()) {
			t.Errorf("%s: hash differs from the online request", tc.name)
		}
	}
	differ := []struct {
		name string
		edit func(*Request)
	}{
		{"amount", func(r *Request) { r.Amount.Minor++ }},
		{"currency", func(r *Request) { r.Amount.Currency = "USD" }},
		{"payload", func(r *Request) { r.Payload = "SP1:Y" }},
		{"reference", func(r *Request) { r.Reference = "" }},
		{"txn id", func(r *Request) { r.TerminalTxnID = "T-2" }},
		{"a refund", func(r *Request) { r.Kind = protocol.KindRefund }},
		// Length-prefixed fields: moving a character between fields changes the hash.
		{"field boundary", func(r *Request) { r.Payload, r.Reference = "SP1:Xr", "" }},
	}
	for _, tc := range differ {
		r := base
		tc.edit(&r)
		if bytes.Equal(r.hash(), base.hash()) {
			t.Errorf("%s: a different request hashes the same", tc.name)
		}
	}
}

// hashGoldenCases are requests whose idempotency fingerprints are stored by running servers: the
// hash must never change. Their hex was computed by the hash that wrote each piece to a digest,
// before the one-buffer form.
var hashGoldenCases = []struct {
	name string
	r    Request
	want string
}{
	{"online", Request{Kind: protocol.KindOnline, TerminalTxnID: "T-1", Amount: money.Amount{Minor: 1250, Currency: "EUR"}, Payload: "SP1:X", Reference: "r"}, "50b77c3e528e4c24486604f687b11a8ab3d6f3524dc7adca670976d59bf34b6a"},
	{"offline", Request{Kind: protocol.KindOffline, TerminalTxnID: "T1-000042", Amount: money.Amount{Minor: 99, Currency: "EUR"}, Payload: "SP2:" + strings.Repeat("AB$%", 100), ApprovedAt: time.Unix(1e9, 0)}, "e3705ba6c04273e786f4901637e4278aad15c521aa66649925eee66e1c96c6e1"},
	{"void", Request{Kind: protocol.KindVoid, TerminalTxnID: "V-1", TargetTxnID: "T-1"}, "f15c8b856c4cc95525d00258cd4dde7e5cd80377637b5f658abbdb3744d9ce10"},
	{"refund", Request{Kind: protocol.KindRefund, TerminalTxnID: "R-1", TargetTxnID: "T-1", Amount: money.Amount{Minor: -5, Currency: "USD"}, Reference: "ré"}, "302cce1f7dc520f2dbf2f07aab22fd48cfcd343fc98a1a96a99b02a6aec7baf4"},
	{"offer", Request{Kind: protocol.KindOnline, TerminalTxnID: "T-2", Amount: money.Amount{Minor: 1000, Currency: "EUR"}, Payload: "SP2:Y", Gross: 1500}, "4b3c9b09da7fb802457a2dd264621761e7b13675a643ce925c04c3bbe9dfe75a"},
	{"payload past the stack buffer", Request{Kind: protocol.KindOnline, TerminalTxnID: strings.Repeat("t", 64), Amount: money.Amount{Minor: math.MaxInt64, Currency: "EUR"}, Payload: strings.Repeat("Z", 5000), Reference: strings.Repeat("r", 64)}, "b07010e7e4110e958ba74920641ac11d82ecdb6ef9084ad934c23e533c6c54dc"},
	{"empty", Request{}, "3c9fd9d5542650bc5c7aeddf09cfe9e51eddb8f42abd7729a0c38d331731b4fe"},
}

func TestRequestHashGolden(t *testing.T) {
	for _, tc := range hashGoldenCases {
		if got := hex.EncodeToString(tc.r.hash()); got != tc.want {
			t.Errorf("%s: hash %s, want %s", tc.name, got, tc.want)
		}
	}
}

func BenchmarkRequestHash(b *testing.B) {
	r := hashGoldenCases[1].r
	b.ReportAllocs()
	for b.Loop() {
		r.hash()
	}
}

func TestEnrollCodes(t *testing.T) {
	code, err := newEnrollCode()
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != enrollCodeChars+enrollCodeChars/4-1 || strings.Count(code, "-") != 3 {
		t.Fatalf("code %q has the wrong shape", code)
	}
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	if !bytes.Equal(enrollCodeHash(typed), enrollCodeHash(code)) {
		t.Fatalf("typing %q (lower case, spaces) does not match %q", typed, code)
	}
	if bytes.Equal(enrollCodeHash(code), enrollCodeHash(code+"0")) {
		t.Fatal("a longer code matches")
	}
	other, err := newEnrollCode()
	if err != nil {
		t.Fatal(err)
	}
	if other == code {
		t.Fatal("two codes are equal")
	}
}
