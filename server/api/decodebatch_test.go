package api

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// fastBatchCases are batch bodies and whether decodeBatchFast reads them itself (false: it leaves
// them to encoding/json). Either way decodeStrict must answer exactly what encoding/json answers.
var fastBatchCases = []struct {
	name string
	body string
	fast bool
}{
	{"plain", `{"batch_id":"b","items":[{"kind":"online","terminal_txn_id":"t","amount":{"minor":1250,"currency":"EUR"},"payload":"SP2:X","reference":"r"}]}`, true},
	{"offline with gross", `{"batch_id":"b","items":[{"kind":"offline","terminal_txn_id":"t","amount":{"minor":1,"currency":"EUR"},"payload":"p","approved_at":"2026-01-02T03:04:05.123+01:00","gross":5}]}`, true},
	{"void and refund", `{"items":[{"kind":"void","terminal_txn_id":"v","target_txn_id":"t"},{"kind":"refund","terminal_txn_id":"r","target_txn_id":"t","amount":{"minor":-0,"currency":"EUR"}}]}`, true},
	{"whitespace everywhere", " \t\r\n{ \"batch_id\" : \"b\" , \"items\" : [ { \"kind\" : \"online\" , \"amount\" : { \"minor\" : 0 } } ] } \n", true},
	{"empty object", `{}`, true},
	{"empty items", `{"items":[]}`, true},
	{"empty item and amount", `{"items":[{},{"amount":{}}]}`, true},
	{"utf-8 text", `{"batch_id":"é€😀","items":[{"reference":"ré\u007f"}]}`, false},
	{"utf-8 and DEL", "{\"batch_id\":\"é€😀\",\"items\":[{\"reference\":\"ré\x7f\"}]}", true},
	{"largest and smallest int64", `{"items":[{"gross":9223372036854775807,"amount":{"minor":-9223372036854775808}}]}`, true},

	{"empty body", ``, false},
	{"null", `null`, false},
	{"items null", `{"items":null}`, false},
	{"item null", `{"items":[null]}`, false},
	{"batch_id null", `{"batch_id":null}`, false},
	{"approved_at null", `{"items":[{"approved_at":null}]}`, false},
	{"escaped string", `{"batch_id":"a\"b"}`, false},
	{"escaped key", `{"batch\u005fid":"b"}`, false},
	{"control character", "{\"batch_id\":\"a\tb\"}", false},
	{"invalid utf-8", "{\"batch_id\":\"\xff\"}", false},
	{"key in another case", `{"Batch_ID":"b"}`, false},
	{"repeated key", `{"batch_id":"a","batch_id":"b"}`, false},
	{"repeated item key", `{"items":[{"kind":"online","kind":"void"}]}`, false},
	{"repeated amount key", `{"items":[{"amount":{"minor":1,"minor":2}}]}`, false},
	{"repeated amount", `{"items":[{"amount":{"minor":1},"amount":{"currency":"EUR"}}]}`, false},
	{"unknown key", `{"items":[{"kind":"online","extra":1}]}`, false},
	{"unknown amount key", `{"items":[{"amount":{"minor":1,"x":1}}]}`, false},
	{"fraction", `{"items":[{"amount":{"minor":1.5}}]}`, false},
	{"exponent", `{"items":[{"amount":{"minor":1e3}}]}`, false},
	{"zero fraction", `{"items":[{"amount":{"minor":1.0}}]}`, false},
	{"leading zero", `{"items":[{"gross":01}]}`, false},
	{"minus alone", `{"items":[{"gross":-}]}`, false},
	{"int64 overflow", `{"items":[{"gross":9223372036854775808}]}`, false},
	{"quoted number", `{"items":[{"gross":"5"}]}`, false},
	{"number as text", `{"items":[{"kind":5}]}`, false},
	{"bad time", `{"items":[{"approved_at":"yesterday"}]}`, false},
	{"trailing comma in object", `{"batch_id":"b",}`, false},
	{"trailing comma in array", `{"items":[{},]}`, false},
	{"trailing data", `{"items":[]} x`, false},
	{"second value", `{}{}`, false},
	{"unterminated", `{"items":[{"kind":"online"`, false},
	{"unterminated string", `{"batch_id":"b`, false},
	{"array", `[]`, false},
	{"items object", `{"items":{}}`, false},
	{"byte order mark", "\xef\xbb\xbf{}", false},
}

// TestDecodeBatchFast: the fast path reads exactly the bodies it should, and decodeStrict answers
// every body as encoding/json does: the same value, or the same problem.
func TestDecodeBatchFast(t *testing.T) {
	t.Parallel()
	for _, tc := range fastBatchCases {
		t.Run(tc.name, func(t *testing.T) {
			var fast protocol.BatchRequest
			if got := decodeBatchFast([]byte(tc.body), &fast); got != tc.fast {
				t.Fatalf("decodeBatchFast = %v, want %v", got, tc.fast)
			}
			compareWithJSON(t, []byte(tc.body))
		})
	}
}

// compareWithJSON checks decodeStrict against encoding/json alone (decodeJSON) on body.
func compareWithJSON(t *testing.T, body []byte) {
	t.Helper()
	var got, want protocol.BatchRequest
	gotP, wantP := decodeStrict(body, &got), decodeJSON(body, &want)
	if !reflect.DeepEqual(gotP, wantP) {
		t.Fatalf("%q: decodeStrict problem %+v, encoding/json %+v", body, gotP, wantP)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeStrict value %+v, encoding/json %+v", body, got, want)
	}
}

// TestDecodeBatchFastKeys: every key the fast path reads is a field's JSON name (a renamed tag
// fails here, instead of the fast path accepting a key encoding/json refuses), and every field has
// its key (a new field would send each batch to the slow path).
func TestDecodeBatchFastKeys(t *testing.T) {
	t.Parallel()
	// A value for each key the fast path reads, in the object it belongs to.
	fastKeys := map[string]string{
		"batch_id":        `{"batch_id":"b"}`,
		"items":           `{"items":[]}`,
		"kind":            `{"items":[{"kind":"online"}]}`,
		"terminal_txn_id": `{"items":[{"terminal_txn_id":"t"}]}`,
		"amount":          `{"items":[{"amount":{}}]}`,
		"payload":         `{"items":[{"payload":"p"}]}`,
		"approved_at":     `{"items":[{"approved_at":"2026-01-02T03:04:05Z"}]}`,
		"target_txn_id":   `{"items":[{"target_txn_id":"t"}]}`,
		"reference":       `{"items":[{"reference":"r"}]}`,
		"gross":           `{"items":[{"gross":1}]}`,
		"minor":           `{"items":[{"amount":{"minor":1}}]}`,
		"currency":        `{"items":[{"amount":{"currency":"EUR"}}]}`,
	}
	for key, body := range fastKeys {
		var fast protocol.BatchRequest
		if !decodeBatchFast([]byte(body), &fast) {
			t.Errorf("%s: the fast path does not read %s", key, body)
		}
		var want protocol.BatchRequest
		if p := decodeJSON([]byte(body), &want); p != nil {
			t.Errorf("%s: encoding/json refuses %s: %v", key, body, p)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Errorf("%s: fast %+v, encoding/json %+v", key, fast, want)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[protocol.BatchRequest](), reflect.TypeFor[protocol.BatchItem](), reflect.TypeFor[money.Amount]()} {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if _, ok := fastKeys[name]; !ok {
				t.Errorf("%s.%s (json %q) is not read by decodeBatchFast", typ, f.Name, name)
			}
		}
	}
}

// TestDecodeBatchFastNotEmpty: a BatchRequest that already holds something goes to encoding/json,
// which decodes into it (the fast path would replace it).
func TestDecodeBatchFastNotEmpty(t *testing.T) {
	t.Parallel()
	req := protocol.BatchRequest{BatchID: "before"}
	if p := decodeStrict([]byte(`{"items":[]}`), &req); p != nil || req.BatchID != "before" || req.Items == nil {
		t.Fatalf("decodeStrict into a filled request: %v, %+v", p, req)
	}
}

// FuzzDecodeBatchFast: on any bytes, a body the fast path reads is one encoding/json accepts with
// the same value, and decodeStrict answers as encoding/json does.
func FuzzDecodeBatchFast(f *testing.F) {
	for _, tc := range fastBatchCases {
		f.Add([]byte(tc.body))
	}
	for _, tc := range decodeCases() {
		if tc.kind == "batch" {
			f.Add([]byte(tc.body))
		}
	}
	f.Add(batchBody(f, 3))
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast protocol.BatchRequest
		if decodeBatchFast(body, &fast) {
			var want protocol.BatchRequest
			if p := decodeJSON(body, &want); p != nil {
				t.Fatalf("%q: the fast path read what encoding/json refuses: %v", body, p)
			}
			if !reflect.DeepEqual(fast, want) {
				t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, want)
			}
		}
		compareWithJSON(t, body)
	})
}

// plainStringRef is plainString one byte at a time, the definition the word-at-a-time loop must match.
func plainStringRef(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(s)
}

// TestPlainString puts each kind of byte that matters at every position of strings of 0..24 bytes,
// so that every word position and the tail are covered.
func TestPlainString(t *testing.T) {
	t.Parallel()
	specials := []byte{'\\', 0, 0x1f, 0x20, '"', 0x7f, 0x80, 0xc3, 0xff, 'a', '~'}
	for n := range 25 {
		for pos := range n {
			for _, c := range specials {
				s := bytes.Repeat([]byte{'x'}, n)
				s[pos] = c
				if got, want := plainString(s), plainStringRef(s); got != want {
					t.Errorf("plainString(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
	for _, s := range []string{"", "é", "€uro and more text", "a valid 😀 in a long ASCII run", "x\xc3\xa9\\y", "0123456\xe2\x82"} {
		if got, want := plainString([]byte(s)), plainStringRef([]byte(s)); got != want {
			t.Errorf("plainString(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzPlainString(f *testing.F) {
	f.Add([]byte("SP2:ABCDEFGHIJ$%*+-./:"))
	f.Add([]byte("0123456\\89abcdef\x01"))
	f.Add([]byte("é€😀\xff"))
	f.Fuzz(func(t *testing.T, s []byte) {
		if got, want := plainString(s), plainStringRef(s); got != want {
			t.Fatalf("plainString(%q) = %v, want %v", s, got, want)
		}
	})
}
