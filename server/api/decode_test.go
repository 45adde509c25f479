package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// bodyTypes is every JSON body the API decodes, by name.
var bodyTypes = []struct {
	name string
	new  func() any
}{
	{"session", func() any { return &protocol.SessionRequest{} }},
	{"authorization", func() any { return &protocol.AuthorizationRequest{} }},
	{"enroll", func() any { return &protocol.EnrollRequest{} }},
	{"transaction", func() any { return &protocol.TransactionRequest{} }},
	{"batch", func() any { return &protocol.BatchRequest{} }},
	{"void", func() any { return &protocol.VoidRequest{} }},
	{"refund", func() any { return &protocol.RefundRequest{} }},
	{"export", func() any { return &protocol.Export{} }},
	{"admin merchant", func() any { return &admin.MerchantRequest{} }},
	{"admin terminal", func() any { return &admin.TerminalRequest{} }},
	{"admin user", func() any { return &admin.UserRequest{} }},
	{"admin account", func() any { return &admin.AccountRequest{} }},
	{"admin revocation", func() any { return &admin.RevocationRequest{} }},
	{"admin unlock", func() any { return &admin.UnlockRequest{} }},
}

func bodyType(name string) int {
	for i, bt := range bodyTypes {
		if bt.name == name {
			return i
		}
	}
	panic("no body type " + name)
}

// decodeCases is the table of decodeStrict; FuzzDecodeBodies starts from it. code "" means the body
// decodes (its values are checked later, by the service).
func decodeCases() []struct {
	kind string
	body string
	code protocol.Code
} {
	cases := []struct {
		kind string
		body string
		code protocol.Code
	}{
		{"session", `{"user_id":"alice","password":"pw"}`, ""},
		{"session", `{"user_id":"alice","password":"pw","admin":true}`, protocol.CodeUnknownField},
		{"session", `{"user_id":5}`, protocol.CodeInvalidField},
		{"authorization", `{"account_id":"a","device_public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","cap_per_payment":{"minor":2000,"currency":"EUR"},"max_codes":5,"ttl_seconds":3600}`, ""},
		{"authorization", `{"account_id":"a","device_public_key":"not base64!"}`, protocol.CodeInvalidField},
		{"authorization", `{"cap_per_payment":{"minor":1e30,"currency":"EUR"}}`, protocol.CodeInvalidAmount},
		{"authorization", `{"max_codes":"5"}`, protocol.CodeInvalidField},
		{"enroll", `{"enroll_code":"ABCD-EFGH","public_key":"AAAA"}`, ""},
		{"enroll", `{"enroll_code":null}`, ""},
		{"enroll", `{"enroll_code":["x"]}`, protocol.CodeInvalidField},
		{"transaction", `{"terminal_txn_id":"T-1","amount":{"minor":1250,"currency":"EUR"},"payload":"SP1:X","reference":"r"}`, ""},
		{"transaction", "{\"terminal_txn_id\":\"T-1\"}\n", ""},
		{"transaction", `{"terminal_txn_id":"T-1"} x`, protocol.CodeMalformedJSON},
		{"transaction", `{"terminal_txn_id":"\ud800"}`, ""},
		{"batch", `{"batch_id":"b","items":[{"kind":"offline","terminal_txn_id":"t","amount":{"minor":1,"currency":"EUR"},"payload":"p","approved_at":"2026-01-02T03:04:05Z"}]}`, ""},
		{"batch", `{"batch_id":"b","items":[{"kind":"offline","extra":1}]}`, protocol.CodeUnknownField},
		{"batch", `{"batch_id":"b","items":[{"approved_at":"2026-13-45"}]}`, protocol.CodeInvalidField},
		{"batch", `{"items":[{"amount":{"minor":-1}}]}`, ""},
		{"void", `{"terminal_txn_id":"v","target_txn_id":"t"}`, ""},
		{"refund", `{"terminal_txn_id":"r","target_txn_id":"t","amount":{"minor":100,"currency":"EUR"}}`, ""},
		{"refund", `{"terminal_txn_id":"r","amount":{"minor":100,"currency":"EUR","x":1}}`, protocol.CodeUnknownField},
		{"export", `{"format":"stillpay-export-v1","terminal_id":"T1","created_at":"2026-01-02T03:04:05Z","items":[],"signature":"AAAA"}`, ""},
		{"export", `{"format":"stillpay-export-v1","items":"no"}`, protocol.CodeInvalidField},
		{"admin merchant", `{"merchant_id":"M1","name":"Shop","currency":"EUR","receipt_header":["a","b"]}`, ""},
		{"admin merchant", `{"merchant_id":"M1","receipt_header":"a"}`, protocol.CodeInvalidField},
		{"admin terminal", `{"terminal_id":"T1","merchant_id":"M1","limits":{"floor_limit_minor":500}}`, ""},
		{"admin terminal", `{"terminal_id":"T1","limits":{"floor":500}}`, protocol.CodeUnknownField},
		{"admin user", `{"user_id":"u","password":"secret-pass"}`, ""},
		{"admin account", `{"account_id":"a","user_id":"u","opening_balance":{"minor":10000,"currency":"EUR"}}`, ""},
		{"admin account", `{"opening_balance":{"minor":18446744073709551616,"currency":"EUR"}}`, protocol.CodeInvalidAmount},
		{"admin revocation", `{"kind":"terminal","id":"T1"}`, ""},
		{"admin unlock", `{"kind":"user","id":"u"}`, ""},
	}
	// Every body type refuses the same shapes of garbage.
	for _, bt := range bodyTypes {
		for _, g := range []struct {
			body string
			code protocol.Code
		}{{"", protocol.CodeMalformedJSON}, {"null", ""}, {"[]", protocol.CodeMalformedJSON}, {`"x"`, protocol.CodeMalformedJSON},
			{"{", protocol.CodeMalformedJSON}, {"{}{}", protocol.CodeMalformedJSON}, {`{"zzz":1}`, protocol.CodeUnknownField}} {
			cases = append(cases, struct {
				kind string
				body string
				code protocol.Code
			}{bt.name, g.body, g.code})
		}
	}
	// And the bodies the signed routes refuse, as far as decoding goes.
	for _, b := range badBodies() {
		kind := map[string]string{protocol.PathTransactions: "transaction", protocol.PathBatches: "batch",
			protocol.PathVoids: "void", protocol.PathRefunds: "refund"}[b.path]
		code := b.code
		switch code {
		case protocol.CodeMalformedJSON, protocol.CodeUnknownField:
		case protocol.CodeInvalidAmount:
			if !strings.Contains(b.body, `"minor":9`) && !strings.Contains(b.body, `1.5`) && !strings.Contains(b.body, `"12.50"`) {
				code = "" // a value the service refuses, not the decoder
			}
		case protocol.CodeInvalidField:
			if !strings.Contains(b.body, `"items":{}`) && !strings.Contains(b.body, "yesterday") {
				code = ""
			}
		default:
			code = ""
		}
		cases = append(cases, struct {
			kind string
			body string
			code protocol.Code
		}{kind, b.body, code})
	}
	return cases
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range decodeCases() {
		v := bodyTypes[bodyType(tc.kind)].new()
		p := decodeStrict([]byte(tc.body), v)
		var got protocol.Code
		if p != nil {
			got = p.Code
			if p.Status != http.StatusBadRequest || p.Title == "" {
				t.Errorf("%s %.60q: problem %+v has no 400 status or title", tc.kind, tc.body, p)
			}
		}
		if got != tc.code {
			t.Errorf("%s %.60q: code %q, want %q (%v)", tc.kind, tc.body, got, tc.code, p)
		}
	}
}

// FuzzDecodeBodies feeds every body type arbitrary bytes: decoding never panics, a refusal is a 400
// problem with a known code, and whatever decodes re-encodes to a body that decodes the same way.
func FuzzDecodeBodies(f *testing.F) {
	for _, tc := range decodeCases() {
		f.Add(uint8(bodyType(tc.kind)), tc.body)
	}
	known := map[protocol.Code]bool{protocol.CodeMalformedJSON: true, protocol.CodeUnknownField: true,
		protocol.CodeInvalidField: true, protocol.CodeInvalidAmount: true}
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		bt := bodyTypes[int(kind)%len(bodyTypes)]
		v := bt.new()
		p := decodeStrict([]byte(body), v)
		if p != nil {
			if p.Status != http.StatusBadRequest || !known[p.Code] {
				t.Fatalf("%s: unexpected problem %+v", bt.name, p)
			}
			return
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: decoded value does not re-encode: %v", bt.name, err)
		}
		if p := decodeStrict(raw, bt.new()); p != nil {
			t.Fatalf("%s: re-encoded %s refused: %+v", bt.name, raw, p)
		}
	})
}

// TestReadAllSized: the body comes back exactly, whatever its declared length; with a usable
// Content-Length it is read into one buffer of that size (no regrowth), and an over-long body
// still meets MaxBytesReader's error.
func TestReadAllSized(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 70_000} {
		data := bytes.Repeat([]byte("x"), n)
		for _, declared := range []int64{int64(n), -1} {
			got, err := readAllSized(bytes.NewReader(data), declared, 100_000)
			if err != nil || !bytes.Equal(got, data) || got == nil {
				t.Fatalf("n=%d declared=%d: %d bytes (nil %v), %v", n, declared, len(got), got == nil, err)
			}
			if declared < 4096 {
				continue
			}
			// One buffer, not regrown: a handful of allocations where io.ReadAll makes one per
			// growth (17 for 70,000 bytes; the race detector adds to both).
			sized := testing.AllocsPerRun(5, func() { readAllSized(bytes.NewReader(data), declared, 100_000) })
			grown := testing.AllocsPerRun(5, func() { io.ReadAll(bytes.NewReader(data)) })
			if sized > 3 || sized >= grown {
				t.Errorf("n=%d: %.0f allocations (io.ReadAll: %.0f), want at most 3: one buffer", n, sized, grown)
			}
		}
	}
	rec := httptest.NewRecorder()
	big := bytes.Repeat([]byte("y"), 2000)
	_, err := readAllSized(http.MaxBytesReader(rec, io.NopCloser(bytes.NewReader(big)), 1000), 2000, 1000)
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("over the limit: %v, want *http.MaxBytesError", err)
	}
}

// BenchmarkReadBody300KB reads a batch-sized body (~1,000 items) as readBody does, and as
// io.ReadAll did.
func BenchmarkReadBody300KB(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 300_000)
	b.Run("sized", func(b *testing.B) {
		for b.Loop() {
			readAllSized(bytes.NewReader(data), int64(len(data)), protocol.MaxBatchBodyBytes)
		}
	})
	b.Run("io.ReadAll", func(b *testing.B) {
		for b.Loop() {
			io.ReadAll(bytes.NewReader(data))
		}
	})
}

// batchBody is a BatchRequest of n online items shaped like the bench's: a ~400-character payload each.
func batchBody(tb testing.TB, n int) []byte {
	req := protocol.BatchRequest{BatchID: "b-1"}
	for i := range n {
		req.Items = append(req.Items, protocol.BatchItem{Kind: protocol.KindOnline,
			TerminalTxnID: fmt.Sprintf("T1-%06d", i), Amount: money.Amount{Minor: 1250, Currency: "EUR"},
			Payload: "SP2:" + strings.Repeat("ABCDEFGHIJ$%*+-./:", 22), Reference: "order-42"})
	}
	body, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// BenchmarkDecodeBatch1000 is decodeStrict on a batch of 1,000 items (ns/op is per batch), and
// json.Unmarshal of the same body: the floor of any encoding/json path, which cannot refuse unknown
// fields and reports trailing data before a wrong type, so decodeStrict cannot use it.
func BenchmarkDecodeBatch1000(b *testing.B) {
	body := batchBody(b, 1000)
	b.Run("decodeStrict", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var req protocol.BatchRequest
			if p := decodeStrict(body, &req); p != nil {
				b.Fatal(p)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var req protocol.BatchRequest
			if err := json.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
