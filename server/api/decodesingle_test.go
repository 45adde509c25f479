package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// fastTransactionCases are payment bodies, whether decodeTransactionFast reads them itself (false:
// it leaves them to encoding/json) and the code decodeStrict answers ("": the body decodes). Either
// way decodeStrict must answer exactly what encoding/json answers.
var fastTransactionCases = []struct {
	name string
	body string
	fast bool
	code protocol.Code
}{
	{"plain", `{"terminal_txn_id":"T-1","amount":{"minor":1250,"currency":"EUR"},"payload":"SP2:X","reference":"r","gross":1500}`, true, ""},
	{"as the bench sends it", `{"terminal_txn_id":"T0001-r1-s42","amount":{"minor":43,"currency":"EUR"},"payload":"SP2:6BFOXN*TS0BI$ZDFRH%IU$3D. 6B8 4PK+-Y:OYTM0 ZD/$HE+Y9QE1.DV8%E3D6WP6:QKLEJ.$CJ+A5ER 5S:FAAF0.4H%C6 9T+FCFWM7:5E/G2O%Y*CO4A7F5F16K+W/CW3FC$5R9GF8QB4GSP6CQ"}`, true, ""},
	{"whitespace everywhere", " \t\r\n{ \"terminal_txn_id\" : \"t\" , \"amount\" : { \"minor\" : 1 , \"currency\" : \"EUR\" } , \"gross\" : 2 } \n", true, ""},
	{"empty object", `{}`, true, ""},
	{"only the key", `{"terminal_txn_id":"T-1"}`, true, ""},
	{"empty amount", `{"amount":{}}`, true, ""},
	{"missing currency", `{"terminal_txn_id":"t","amount":{"minor":1}}`, true, ""},
	{"reordered keys", `{"gross":5,"payload":"p","amount":{"currency":"EUR","minor":1},"reference":"r","terminal_txn_id":"t"}`, true, ""},
	{"empty strings", `{"terminal_txn_id":"","payload":"","reference":"","amount":{"currency":""}}`, true, ""},
	{"non-ASCII", `{"reference":"café €😀","payload":"SP2:é"}`, true, ""},
	{"DEL", "{\"reference\":\"a\x7fb\"}", true, ""},
	{"largest and smallest int64", `{"gross":9223372036854775807,"amount":{"minor":-9223372036854775808}}`, true, ""},
	{"negative", `{"amount":{"minor":-5,"currency":"EUR"}}`, true, ""},
	{"minus zero", `{"amount":{"minor":-0}}`, true, ""},

	{"empty body", ``, false, protocol.CodeMalformedJSON},
	{"only whitespace", " \n", false, protocol.CodeMalformedJSON},
	{"null", `null`, false, ""},
	{"string null", `{"payload":null}`, false, ""},
	{"amount null", `{"amount":null}`, false, ""},
	{"minor null", `{"amount":{"minor":null}}`, false, ""},
	{"unknown key", `{"terminal_txn_id":"t","extra":1}`, false, protocol.CodeUnknownField},
	{"unknown amount key", `{"amount":{"minor":1,"x":1}}`, false, protocol.CodeUnknownField},
	{"batch key", `{"kind":"online"}`, false, protocol.CodeUnknownField},
	{"repeated key", `{"payload":"a","payload":"b"}`, false, ""},
	{"repeated amount", `{"amount":{"minor":1},"amount":{"currency":"EUR"}}`, false, ""},
	{"repeated amount key", `{"amount":{"minor":1,"minor":2}}`, false, ""},
	{"key in another case", `{"Payload":"p","TERMINAL_TXN_ID":"t"}`, false, ""},
	{"escaped string", `{"payload":"a\"b"}`, false, ""},
	{"escaped letter", `{"payload":"\u0041"}`, false, ""},
	{"escaped key", `{"pay\u006coad":"p"}`, false, ""},
	{"lone surrogate", `{"terminal_txn_id":"\ud800"}`, false, ""},
	{"control character", "{\"payload\":\"a\tb\"}", false, protocol.CodeMalformedJSON},
	{"invalid utf-8", "{\"reference\":\"\xff\"}", false, ""},
	{"int64 overflow", `{"amount":{"minor":9223372036854775808}}`, false, protocol.CodeInvalidAmount},
	{"int64 underflow", `{"amount":{"minor":-9223372036854775809}}`, false, protocol.CodeInvalidAmount},
	{"gross overflow", `{"gross":99999999999999999999}`, false, protocol.CodeInvalidField},
	{"leading zero", `{"amount":{"minor":01}}`, false, protocol.CodeMalformedJSON},
	{"minus alone", `{"gross":-}`, false, protocol.CodeMalformedJSON},
	{"plus sign", `{"gross":+1}`, false, protocol.CodeMalformedJSON},
	{"fraction", `{"amount":{"minor":12.50}}`, false, protocol.CodeInvalidAmount},
	{"zero fraction", `{"amount":{"minor":1.0}}`, false, protocol.CodeInvalidAmount},
	{"exponent", `{"amount":{"minor":1e3}}`, false, protocol.CodeInvalidAmount},
	{"quoted number", `{"amount":{"minor":"5"}}`, false, protocol.CodeInvalidAmount},
	{"number as text", `{"payload":5}`, false, protocol.CodeInvalidField},
	{"text as number", `{"gross":"5"}`, false, protocol.CodeInvalidField},
	{"amount as number", `{"amount":5}`, false, protocol.CodeInvalidField},
	{"boolean", `{"payload":true}`, false, protocol.CodeInvalidField},
	{"trailing data", `{"terminal_txn_id":"t"} x`, false, protocol.CodeMalformedJSON},
	{"second value", `{}{}`, false, protocol.CodeMalformedJSON},
	{"trailing comma", `{"payload":"p",}`, false, protocol.CodeMalformedJSON},
	{"missing colon", `{"payload" "p"}`, false, protocol.CodeMalformedJSON},
	{"unterminated", `{"terminal_txn_id":"t"`, false, protocol.CodeMalformedJSON},
	{"unterminated string", `{"payload":"p`, false, protocol.CodeMalformedJSON},
	{"array", `[]`, false, protocol.CodeMalformedJSON},
	{"byte order mark", "\xef\xbb\xbf{}", false, protocol.CodeMalformedJSON},
}

// fastVoidRefundCases are the same for voids and refunds, by body type.
var fastVoidRefundCases = []struct {
	kind string // "void" or "refund"
	body string
	fast bool
	code protocol.Code
}{
	{"void", `{"terminal_txn_id":"v","target_txn_id":"t"}`, true, ""},
	{"void", " { \"target_txn_id\" : \"t\" , \"terminal_txn_id\" : \"v\" } ", true, ""},
	{"void", `{}`, true, ""},
	{"void", `{"terminal_txn_id":"v","target_txn_id":"t","amount":{"minor":1}}`, false, protocol.CodeUnknownField},
	{"void", `{"terminal_txn_id":"v","terminal_txn_id":"w"}`, false, ""},
	{"void", `{"target_txn_id":"\u0074"}`, false, ""},
	{"void", `{"target_txn_id":null}`, false, ""},
	{"void", `{} {}`, false, protocol.CodeMalformedJSON},
	{"refund", `{"terminal_txn_id":"r","target_txn_id":"t","amount":{"minor":100,"currency":"EUR"}}`, true, ""},
	{"refund", `{"amount":{"currency":"EUR","minor":-1},"target_txn_id":"t"}`, true, ""},
	{"refund", `{"terminal_txn_id":"r","amount":{"minor":100,"currency":"EUR","x":1}}`, false, protocol.CodeUnknownField},
	{"refund", `{"amount":{"minor":1.5}}`, false, protocol.CodeInvalidAmount},
	{"refund", `{"gross":1}`, false, protocol.CodeUnknownField},
	{"refund", `{"Target_Txn_ID":"t"}`, false, ""},
	{"refund", ``, false, protocol.CodeMalformedJSON},
}

// benchTransactionBody is a payment as server/bench sends one (phase, one per request): a wallet
// code of ~180 characters from the base45 alphabet, json.Marshal'd.
func benchTransactionBody(tb testing.TB) []byte {
	req := protocol.TransactionRequest{TerminalTxnID: "T0001-r1-s42", Amount: money.Amount{Minor: 43, Currency: "EUR"},
		Payload: "SP2:" + strings.Repeat("6BFOXN*TS0BI$ZDF RH%", 9)}
	body, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// TestDecodeTransactionFast: the fast path reads exactly the bodies it should, decodeStrict answers
// the expected code, and every answer is encoding/json's: the same value, or the same problem.
func TestDecodeTransactionFast(t *testing.T) {
	t.Parallel()
	for _, tc := range fastTransactionCases {
		t.Run(tc.name, func(t *testing.T) {
			read, p := checkSingleFast(t, []byte(tc.body), decodeTransactionFast)
			checkVerdict(t, []byte(tc.body), read, tc.fast, p, tc.code)
		})
	}
	body := benchTransactionBody(t)
	if read, _ := checkSingleFast(t, body, decodeTransactionFast); !read {
		t.Fatalf("the bench's body %s is not read by the fast path", body)
	}
}

// TestDecodeTransactionFastAllocs: the fast path allocates the body's three strings and nothing
// else (a closure passed around as a func value would move the reader and the request to the heap).
func TestDecodeTransactionFastAllocs(t *testing.T) {
	body := benchTransactionBody(t)
	var req protocol.TransactionRequest
	allocs := testing.AllocsPerRun(100, func() {
		req = protocol.TransactionRequest{}
		decodeTransactionFast(body, &req)
	})
	if allocs > 3 {
		t.Fatalf("%.0f allocations per body, want at most 3 (terminal_txn_id, currency, payload)", allocs)
	}
}

// TestDecodeVoidRefundFast is TestDecodeTransactionFast for voids and refunds.
func TestDecodeVoidRefundFast(t *testing.T) {
	t.Parallel()
	for _, tc := range fastVoidRefundCases {
		body := []byte(tc.body)
		var read bool
		var p *protocol.Problem
		switch tc.kind {
		case "void":
			read, p = checkSingleFast(t, body, decodeVoidFast)
		case "refund":
			read, p = checkSingleFast(t, body, decodeRefundFast)
		default:
			t.Fatalf("no kind %q", tc.kind)
		}
		checkVerdict(t, body, read, tc.fast, p, tc.code)
	}
}

// checkSingleFast holds fast to encoding/json on body: if fast reads it, encoding/json (decodeJSON)
// accepts it with a deeply equal value; if not, fast leaves its request empty; and decodeStrict
// answers exactly as encoding/json does, value and problem. It returns whether fast read body, and
// decodeStrict's problem.
func checkSingleFast[T comparable](t *testing.T, body []byte, fast func([]byte, *T) bool) (bool, *protocol.Problem) {
	t.Helper()
	var empty, quick T
	read := fast(body, &quick)
	if read {
		var want T
		if p := decodeJSON(body, &want); p != nil {
			t.Fatalf("%q: the fast path read what encoding/json refuses: %+v", body, p)
		}
		if quick != want {
			t.Fatalf("%q: fast %+v, encoding/json %+v", body, quick, want)
		}
	} else if quick != empty {
		t.Fatalf("%q: refused, yet the request was filled: %+v", body, quick)
	}
	var got, want T
	gotP, wantP := decodeStrict(body, &got), decodeJSON(body, &want)
	if !reflect.DeepEqual(gotP, wantP) || got != want {
		t.Fatalf("%q: decodeStrict %+v, %+v; encoding/json %+v, %+v", body, gotP, got, wantP, want)
	}
	return read, gotP
}

// checkVerdict compares a table row's expectations with what checkSingleFast saw.
func checkVerdict(t *testing.T, body []byte, read, wantRead bool, p *protocol.Problem, code protocol.Code) {
	t.Helper()
	if read != wantRead {
		t.Fatalf("%q: the fast path read it: %v, want %v", body, read, wantRead)
	}
	var got protocol.Code
	if p != nil {
		got = p.Code
	}
	if got != code {
		t.Fatalf("%q: code %q, want %q (%+v)", body, got, code, p)
	}
}

// TestDecodeSingleFastKeys: every key the fast paths read is a field's JSON name, and every field
// of the three requests has its key (a new field would send every such body to encoding/json).
func TestDecodeSingleFastKeys(t *testing.T) {
	t.Parallel()
	fast := map[reflect.Type]func([]byte) bool{
		reflect.TypeFor[protocol.TransactionRequest](): func(b []byte) bool {
			var req protocol.TransactionRequest
			return decodeTransactionFast(b, &req)
		},
		reflect.TypeFor[protocol.VoidRequest](): func(b []byte) bool {
			var req protocol.VoidRequest
			return decodeVoidFast(b, &req)
		},
		reflect.TypeFor[protocol.RefundRequest](): func(b []byte) bool {
			var req protocol.RefundRequest
			return decodeRefundFast(b, &req)
		},
	}
	values := map[reflect.Type]string{reflect.TypeFor[string](): `"x"`, reflect.TypeFor[int64](): `7`,
		reflect.TypeFor[money.Amount](): `{"minor":1,"currency":"EUR"}`}
	for typ, read := range fast {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			value, ok := values[f.Type]
			if !ok {
				t.Errorf("%s.%s: no test value for %s", typ, f.Name, f.Type)
				continue
			}
			body := []byte(`{"` + name + `":` + value + `}`)
			if !read(body) {
				t.Errorf("%s.%s: the fast path does not read %s", typ, f.Name, body)
			}
			// Any other key is refused, even one encoding/json would match case-insensitively.
			if read([]byte(`{"` + strings.ToUpper(name) + `":` + value + `}`)) {
				t.Errorf("%s.%s: the fast path reads the key %q", typ, f.Name, strings.ToUpper(name))
			}
		}
		// money.Amount's keys, through the field that holds one.
		for f := range typ.Fields() {
			if f.Type != reflect.TypeFor[money.Amount]() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			for af := range reflect.TypeFor[money.Amount]().Fields() {
				aname, _, _ := strings.Cut(af.Tag.Get("json"), ",")
				body := []byte(`{"` + name + `":{"` + aname + `":` + values[af.Type] + `}}`)
				if !read(body) {
					t.Errorf("%s.%s.%s: the fast path does not read %s", typ, f.Name, af.Name, body)
				}
			}
		}
	}
}

// TestDecodeSingleFastNotEmpty: a request that already holds something goes to encoding/json,
// which keeps the fields the body does not name (the fast path would replace them).
func TestDecodeSingleFastNotEmpty(t *testing.T) {
	t.Parallel()
	txn := protocol.TransactionRequest{Reference: "before"}
	if p := decodeStrict([]byte(`{"terminal_txn_id":"t"}`), &txn); p != nil || txn.Reference != "before" || txn.TerminalTxnID != "t" {
		t.Fatalf("decodeStrict into a filled payment: %v, %+v", p, txn)
	}
	void := protocol.VoidRequest{TargetTxnID: "before"}
	if p := decodeStrict([]byte(`{"terminal_txn_id":"v"}`), &void); p != nil || void.TargetTxnID != "before" {
		t.Fatalf("decodeStrict into a filled void: %v, %+v", p, void)
	}
	refund := protocol.RefundRequest{Amount: money.Amount{Minor: 5}}
	if p := decodeStrict([]byte(`{"amount":{"currency":"EUR"}}`), &refund); p != nil || refund.Amount.Minor != 5 {
		t.Fatalf("decodeStrict into a filled refund: %v, %+v", p, refund)
	}
}

// FuzzDecodeTransactionFast: on any bytes, a payment body the fast path reads is one encoding/json
// accepts with a deeply equal value, and decodeStrict answers as encoding/json does.
func FuzzDecodeTransactionFast(f *testing.F) {
	for _, tc := range fastTransactionCases {
		f.Add([]byte(tc.body))
	}
	for _, tc := range decodeCases() {
		if tc.kind == "transaction" {
			f.Add([]byte(tc.body))
		}
	}
	f.Add(benchTransactionBody(f))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSingleFast(t, body, decodeTransactionFast)
	})
}

// FuzzDecodeVoidRefundFast is FuzzDecodeTransactionFast for voids (refund false) and refunds.
func FuzzDecodeVoidRefundFast(f *testing.F) {
	for _, tc := range fastVoidRefundCases {
		f.Add(tc.kind == "refund", []byte(tc.body))
	}
	for _, tc := range decodeCases() {
		if tc.kind == "void" || tc.kind == "refund" {
			f.Add(tc.kind == "refund", []byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, refund bool, body []byte) {
		if refund {
			checkSingleFast(t, body, decodeRefundFast)
		} else {
			checkSingleFast(t, body, decodeVoidFast)
		}
	})
}

// BenchmarkDecodeTransaction is decodeStrict (the fast path) and decodeJSON (encoding/json alone,
// what decodeStrict was before it) on a payment body as the bench sends it.
func BenchmarkDecodeTransaction(b *testing.B) {
	body := benchTransactionBody(b)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req protocol.TransactionRequest
			if p := decodeStrict(body, &req); p != nil || req.Payload == "" {
				b.Fatal(p)
			}
		}
	})
	b.Run("decodeJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req protocol.TransactionRequest
			if p := decodeJSON(body, &req); p != nil || req.Payload == "" {
				b.Fatal(p)
			}
		}
	})
}
