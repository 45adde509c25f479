package service

import (
	"bytes"
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
