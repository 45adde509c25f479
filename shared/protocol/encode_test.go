package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

// The encoders must write exactly json.Marshal's bytes (and fail where it fails). Every check also
// appends to a non-empty dst, which must be kept, and asserts whether the encoder managed the value
// itself or fell back to json.Marshal: a fast path that always fell back would pass byte equality.

// sameAsMarshal checks enc(v) against json.Marshal(v); fast is whether the value must be encoded
// without the json.Marshal fallback.
func sameAsMarshal[T any](t *testing.T, v T, enc func([]byte, T) ([]byte, error), fastOK bool, wantFast bool) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := enc([]byte("prefix"), v)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("error %q, json.Marshal's %q", err, wantErr)
	case err == nil && !bytes.Equal(got, append([]byte("prefix"), want...)):
		t.Fatalf("encoded\n%q\njson.Marshal\n%q", got, want)
	case fastOK != wantFast:
		t.Fatalf("encoded without json.Marshal: %v, want %v", fastOK, wantFast)
	}
}

// encodeTable is a table of values of one type: fast is whether the encoder must encode the value
// itself (false where json.Marshal refuses it, or where the encoder hands it to json.Marshal).
type encodeTable[T any] []struct {
	name string
	v    T
	fast bool
}

func (tb *encodeTable[T]) add(name string, v T, fast bool) {
	*tb = append(*tb, struct {
		name string
		v    T
		fast bool
	}{name, v, fast})
}

// run checks every value with sameAsMarshal; own is the encoder's path without the fallback.
func (tb encodeTable[T]) run(t *testing.T, enc func([]byte, T) ([]byte, error), own func([]byte, *T) ([]byte, bool)) {
	for _, tt := range tb {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := own(nil, &tt.v)
			sameAsMarshal(t, tt.v, enc, ok, tt.fast)
		})
	}
}

var (
	zoneIndia   = time.FixedZone("IST", 5*3600+30*60)
	zoneWest    = time.FixedZone("", -(9*3600 + 30*60))
	zoneSeconds = time.FixedZone("LMT", 3600+17) // RFC 3339 drops the seconds of the offset
	zoneMax     = time.FixedZone("", 23*3600+59*60)
	zone24      = time.FixedZone("", 24*3600) // json.Marshal refuses
	zoneMinus24 = time.FixedZone("", -24*3600-60)
)

// nastyStrings are strings every escaping rule of encoding/json applies to.
var nastyStrings = []string{
	"",
	"T-0001-000000042",
	`quote " backslash \ slash / end`,
	"<script>alert('x')&amp;</script>",
	"line\u2028para\u2029end",
	"\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x20\x7f",
	"invalid \xff\xfe utf-8 \xc3",
	"truncated \xe2\x80",
	"surrogate \xed\xa0\x80 overlong \xc0\xaf",
	"é 日本語 🎉 \u00a0 \ufeff \ufffd",
	strings.Repeat("a<", 100),
}

func approvalFixture() Approval {
	return Approval{
		ApprovalID:      "ap_01JF3Q7Z9X8Y7W6V5U4T3S2R1Q",
		ApprovalCode:    "7KQ2MX",
		TerminalID:      "T-0001",
		TerminalTxnID:   "T-0001-000000042",
		MerchantID:      "m_cafe",
		Amount:          money.Amount{Minor: 1250, Currency: "EUR"},
		MaskedCustomer:  "a***e",
		AuthorizationID: "au_01JF3Q7Z9X8Y7W6V5U4T3S2R1Q",
		Offline:         true,
		ApprovedAt:      time.Date(2026, 12, 7, 0, 47, 43, 123456789, time.UTC),
		SettledAt:       time.Date(2026, 12, 7, 0, 47, 44, 500000000, time.UTC),
	}
}

// approvalCases are the approvals of the table; fast is false where json.Marshal refuses the value.
func approvalCases() (tb encodeTable[Approval]) {
	add := tb.add
	add("typical", approvalFixture(), true)
	add("zero", Approval{}, true)
	for i, s := range nastyStrings {
		a := approvalFixture()
		a.ApprovalID, a.ApprovalCode, a.TerminalID, a.TerminalTxnID = s, s, s, s
		a.MerchantID, a.Amount.Currency, a.MaskedCustomer, a.AuthorizationID = s, s, s, s
		add(fmt.Sprintf("string %d", i), a, true)
	}
	for _, m := range []int64{0, -1, 1, -9223372036854775808, 9223372036854775807} {
		a := approvalFixture()
		a.Amount.Minor, a.Offline = m, m%2 == 0
		add(fmt.Sprintf("minor %d", m), a, true)
	}
	times := []struct {
		name string
		t    time.Time
		ok   bool
	}{
		{"zero", time.Time{}, true},
		{"unix 0", time.Unix(0, 0).UTC(), true},
		{"whole seconds", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), true},
		{"milliseconds", time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC), true},
		{"one nanosecond", time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC), true},
		{"india", time.Date(2026, 6, 30, 23, 59, 59, 999999999, zoneIndia), true},
		{"west", time.Date(2026, 6, 30, 23, 59, 59, 10, zoneWest), true},
		{"offset seconds", time.Date(1890, 1, 1, 0, 0, 0, 0, zoneSeconds), true},
		{"offset 23:59", time.Date(2026, 1, 1, 0, 0, 0, 0, zoneMax), true},
		{"local", time.Date(2026, 1, 1, 0, 0, 0, 5, time.Local), true},
		{"monotonic", time.Now(), true},
		{"year 0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"year -1", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"offset 24:00", time.Date(2026, 1, 1, 0, 0, 0, 0, zone24), false},
		{"offset -24:01", time.Date(2026, 1, 1, 0, 0, 0, 0, zoneMinus24), false},
	}
	for _, tt := range times {
		a := approvalFixture()
		a.ApprovedAt = tt.t
		add("approved_at "+tt.name, a, tt.ok)
		a = approvalFixture()
		a.SettledAt = tt.t
		add("settled_at "+tt.name, a, tt.ok)
	}
	return tb
}

func TestAppendApproval(t *testing.T) {
	tb := approvalCases()
	tb.run(t, AppendApproval, appendApproval)
	// What the server signs and sends: the approval's bytes, signed or not.
	_, key, _ := ed25519.GenerateKey(nil)
	for _, tt := range tb {
		want, wantErr := json.Marshal(tt.v)
		sa, err := UnsignedApproval(tt.v, "k1")
		signed, signErr := SignApproval(tt.v, "k1", key)
		switch {
		case (err == nil) != (wantErr == nil) || (signErr == nil) != (wantErr == nil):
			t.Errorf("%s: UnsignedApproval %v, SignApproval %v, json.Marshal %v", tt.name, err, signErr, wantErr)
		case err == nil && (!bytes.Equal(sa.Approval, want) || !bytes.Equal(signed.Approval, want)):
			t.Errorf("%s: UnsignedApproval %q, SignApproval %q, json.Marshal %q", tt.name, sa.Approval, signed.Approval, want)
		case err == nil && !ed25519.Verify(key.Public().(ed25519.PublicKey), append([]byte(ApprovalSigningContext), want...), signed.Signature):
			t.Errorf("%s: SignApproval's signature is not over the approval's bytes", tt.name)
		}
	}
}

// rawCases are json.RawMessage values: fast is false where json.Marshal refuses them or they nest
// deeper than maxRawDepth.
var rawCases = []struct {
	name string
	raw  string
	fast bool
}{
	{"compact", `{"approval_id":"ap_1","amount":{"minor":1250,"currency":"EUR"},"offline":false}`, true},
	{"spaced", " {\n\t\"approval_id\" : \"ap 1\" ,\r\n \"a\" : [ 1 , 2.5e-3 , -0 , true , false , null ] , \"o\" : { } , \"e\" : [ ] }\n ", true},
	{"html in strings", `{"<k>":"a<b>&c","\u003c":"\u0026"}`, true},
	{"line separators", "[\"a\u2028b\u2029c\",\"\u2028\"]", true},
	{"invalid utf-8 kept", "\"\xff\xfe\xe2\x80\"", true},
	{"escapes", `"\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00 \uABcd"`, true},
	{"del and high bytes", "\"\x7f\u00a0日本\"", true},
	{"numbers", `[0,-0,1,-1,10,0.5,-0.5,1e5,1E+5,1e-5,123456789012345678901234567890,1.0e0]`, true},
	{"scalar", ` 42 `, true},
	{"string scalar", `"x"`, true},
	{"literals", `[true,false,null]`, true},
	{"nested", strings.Repeat("[", maxRawDepth) + strings.Repeat("]", maxRawDepth), true},
	{"too deep for the fast path", strings.Repeat("[", maxRawDepth+1) + strings.Repeat("]", maxRawDepth+1), false},
	{"too deep for encoding/json", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), false},
	{"empty", ``, false},
	{"only space", "  \n", false},
	{"two values", `{} {}`, false},
	{"trailing comma", `[1,]`, false},
	{"leading zero", `[01]`, false},
	{"bare minus", `-`, false},
	{"bare dot", `1.`, false},
	{"bare exponent", `1e+`, false},
	{"unquoted key", `{a:1}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"missing value", `{"a":}`, false},
	{"unterminated string", `"abc`, false},
	{"control in string", "\"a\x01\"", false},
	{"newline in string", "\"a\nb\"", false},
	{"bad escape", `"\x"`, false},
	{"short unicode escape", `"\u12G4"`, false},
	{"truncated unicode escape", `"\u12`, false},
	{"trailing backslash", `"\`, false},
	{"bad literal", `tru`, false},
	{"literal prefix", `nullx`, false},
	{"html outside strings", `<`, false},
	{"unclosed", `{"a":[1,2}`, false},
	{"nul", "\x00", false},
	{"other space", "\v1", false},
}

func TestAppendCompactRaw(t *testing.T) {
	for _, tt := range rawCases {
		t.Run(tt.name, func(t *testing.T) {
			checkCompactRaw(t, []byte(tt.raw), tt.fast)
		})
	}
	t.Run("nil", func(t *testing.T) { checkCompactRaw(t, nil, true) })
}

func checkCompactRaw(t *testing.T, raw []byte, fast bool) {
	t.Helper()
	_, ok := appendCompactRaw(nil, raw)
	sameAsMarshal(t, json.RawMessage(raw), func(dst []byte, m json.RawMessage) ([]byte, error) {
		sa := SignedApproval{Approval: m}
		n := len(dst)
		out, err := AppendSignedApproval(dst, sa)
		if err != nil {
			return out, err
		}
		// Cut the approval out of {"approval":…,"key_id":"","signature":null}.
		const head, tail = `{"approval":`, `,"key_id":"","signature":null}`
		body := out[n:]
		if !bytes.HasPrefix(body, []byte(head)) || !bytes.HasSuffix(body, []byte(tail)) {
			t.Fatalf("signed approval %q", body)
		}
		return append(out[:n], body[len(head):len(body)-len(tail)]...), nil
	}, ok, fast)
}

func groupFixture() *ApprovalGroupProof {
	return &ApprovalGroupProof{TerminalID: "T-0001", Nonce: "0123456789abcdef0123456789abcdef", Size: 9, Index: 8,
		Path: [][]byte{bytes.Repeat([]byte{0xfb}, 32), bytes.Repeat([]byte{0x3e}, 32)}, Signature: bytes.Repeat([]byte{0xff}, 64)}
}

func signedCases() (tb encodeTable[SignedApproval]) {
	add := tb.add
	raw, _ := json.Marshal(approvalFixture())
	add("signed", SignedApproval{Approval: raw, KeyID: "k1", Signature: bytes.Repeat([]byte{0xfa}, 64)}, true)
	add("unsigned", SignedApproval{Approval: raw, KeyID: "k1"}, true)
	add("empty signature", SignedApproval{Approval: raw, KeyID: "k1", Signature: []byte{}}, true)
	add("zero", SignedApproval{}, true)
	add("signature lengths", SignedApproval{Approval: raw, KeyID: "k<1>&", Signature: []byte{1, 2}}, true)
	add("grouped", SignedApproval{Approval: raw, KeyID: "k1", Group: groupFixture()}, true)
	for _, tt := range rawCases {
		add("raw "+tt.name, SignedApproval{Approval: json.RawMessage(tt.raw), KeyID: "k1"}, tt.fast)
	}
	g := groupFixture()
	g.Path = nil
	add("group nil path", SignedApproval{Approval: raw, Group: g}, true)
	g = groupFixture()
	g.Path = [][]byte{}
	add("group empty path", SignedApproval{Approval: raw, Group: g}, true)
	g = groupFixture()
	g.Path = [][]byte{nil, {}, {1}, {1, 2}, {1, 2, 3}}
	g.Signature = nil
	add("group odd path", SignedApproval{Approval: raw, Group: g}, true)
	add("group zero", SignedApproval{Approval: raw, Group: &ApprovalGroupProof{Size: -1, Index: -9223372036854775808}}, true)
	for i, s := range nastyStrings {
		g := groupFixture()
		g.TerminalID, g.Nonce = s, s
		add(fmt.Sprintf("group string %d", i), SignedApproval{Approval: raw, KeyID: s, Group: g}, true)
	}
	return tb
}

func TestAppendSignedApproval(t *testing.T) {
	signedCases().run(t, AppendSignedApproval, appendSignedApproval)
}

func responseCases() (tb encodeTable[TransactionResponse]) {
	add := tb.add
	add("zero", TransactionResponse{}, true)
	add("declined", TransactionResponse{TerminalTxnID: "T-1", Status: StatusDeclined, Code: CodeCodeUsed, Message: "the payment code was used"}, true)
	add("code only", TransactionResponse{TerminalTxnID: "T-1", Status: StatusDeclined, Code: CodeCodeUsed}, true)
	add("message only", TransactionResponse{TerminalTxnID: "T-1", Status: StatusDeclined, Message: "m"}, true)
	for i, s := range nastyStrings {
		add(fmt.Sprintf("string %d", i), TransactionResponse{TerminalTxnID: s, Status: s, Code: Code(s), Message: s}, true)
	}
	for _, sa := range signedCases() {
		add("approved "+sa.name, TransactionResponse{TerminalTxnID: "T-1", Status: StatusApproved, Approval: &sa.v}, sa.fast)
	}
	return tb
}

func TestAppendTransactionResponse(t *testing.T) {
	responseCases().run(t, AppendTransactionResponse, appendTransactionResponse)
}

func TestAppendBatchResponse(t *testing.T) {
	results := responseCases()
	var good []TransactionResponse
	for _, r := range results {
		if r.fast {
			good = append(good, r.v)
		}
	}
	sig := &BatchSignature{KeyID: "k1", Signature: bytes.Repeat([]byte{0xfe}, 64)}
	var tb encodeTable[*BatchResponse]
	tb.add("zero", &BatchResponse{}, true)
	tb.add("empty results", &BatchResponse{BatchID: "b", Results: []TransactionResponse{}}, true)
	tb.add("signed", &BatchResponse{BatchID: "T-1..T-9", Results: good, Nonce: "0123456789abcdef", Signature: sig}, true)
	tb.add("unsigned", &BatchResponse{BatchID: "T-1..T-9", Results: good}, true)
	tb.add("nil signature bytes", &BatchResponse{BatchID: "b", Results: good[:1], Signature: &BatchSignature{}}, true)
	tb.add("nasty ids", &BatchResponse{BatchID: nastyStrings[3] + nastyStrings[6], Results: good[:2], Nonce: nastyStrings[4], Signature: &BatchSignature{KeyID: nastyStrings[5]}}, true)
	for _, r := range results {
		if !r.fast {
			tb.add("with "+r.name, &BatchResponse{BatchID: "b", Results: append(good[:3:3], r.v), Signature: sig}, false)
		}
	}
	tb.run(t, AppendBatchResponse, func(b []byte, r **BatchResponse) ([]byte, bool) { return appendBatchResponse(b, *r) })
}

// TestAnswerSize: for answers the server builds (nothing to escape), the size estimates cover the
// encoded answer, so the encoders never grow their buffer.
func TestAnswerSize(t *testing.T) {
	for _, n := range []int{1, 2, 100, 1000} {
		resp := benchBatchAnswer(t, n)
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if size := BatchResponseSize(resp); size < len(want) || size > len(want)+len(want)/4+256 {
			t.Errorf("%d results: BatchResponseSize %d for %d bytes", n, size, len(want))
		}
		r := resp.Results[0]
		r.Approval.Group = groupFixture()
		want, _ = json.Marshal(r)
		if size := TransactionResponseSize(&r); size < len(want) || size > len(want)+256 {
			t.Errorf("TransactionResponseSize %d for %d bytes", size, len(want))
		}
	}
}

// rawDepth is the deepest nesting of brackets outside strings in valid JSON.
func rawDepth(raw []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			depth++
			deepest = max(deepest, depth)
		case !inString && (c == ']' || c == '}'):
			depth--
		}
	}
	return deepest
}

// FuzzAppendCompactRaw: whatever appendCompactRaw accepts, json.Marshal accepts and writes the same
// bytes for; whatever it refuses, json.Marshal refuses too, unless it nests deeper than maxRawDepth.
func FuzzAppendCompactRaw(f *testing.F) {
	for _, tt := range rawCases {
		f.Add([]byte(tt.raw))
	}
	raw, _ := json.Marshal(approvalFixture())
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := appendCompactRaw([]byte("x"), raw)
		want, err := json.Marshal(json.RawMessage(raw))
		switch {
		case ok && err != nil:
			t.Fatalf("accepted %q, json.Marshal: %v", raw, err)
		case ok && !bytes.Equal(got, append([]byte("x"), want...)):
			t.Fatalf("%q compacted to\n%q\njson.Marshal\n%q", raw, got[1:], want)
		case !ok && err == nil && rawDepth(raw) <= maxRawDepth:
			t.Fatalf("refused %q, json.Marshal writes %q", raw, want)
		}
	})
}

// FuzzAppendApproval compares AppendApproval with json.Marshal on approvals built from fuzzed
// strings, amounts and times (any instant, any zone offset).
func FuzzAppendApproval(f *testing.F) {
	for _, tt := range approvalCases() {
		a := tt.v
		_, off := a.ApprovedAt.Zone()
		f.Add(a.ApprovalID, a.TerminalTxnID, a.MaskedCustomer, a.Amount.Currency, a.Amount.Minor, a.Offline,
			a.ApprovedAt.Unix(), int64(a.ApprovedAt.Nanosecond()), off, a.SettledAt.Unix(), int64(a.SettledAt.Nanosecond()))
	}
	f.Fuzz(func(t *testing.T, id, txn, masked, currency string, minor int64, offline bool, sec, nsec int64, offset int, sec2, nsec2 int64) {
		zone := time.FixedZone("Z", offset%(100*3600))
		a := Approval{ApprovalID: id, ApprovalCode: masked, TerminalID: txn, TerminalTxnID: txn, MerchantID: currency,
			Amount: money.Amount{Minor: minor, Currency: currency}, MaskedCustomer: masked, AuthorizationID: id,
			Offline: offline, ApprovedAt: time.Unix(sec, nsec).In(zone), SettledAt: time.Unix(sec2, nsec2).UTC()}
		want, wantErr := json.Marshal(a)
		got, err := AppendApproval([]byte("x"), a)
		switch {
		case (err == nil) != (wantErr == nil):
			t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
		case err == nil && !bytes.Equal(got, append([]byte("x"), want...)):
			t.Fatalf("encoded\n%q\njson.Marshal\n%q", got[1:], want)
		}
		if _, ok := appendApproval(nil, &a); ok != (wantErr == nil) {
			t.Fatalf("fast path %v, json.Marshal error %v", ok, wantErr)
		}
	})
}

// FuzzAppendBatchResponse compares AppendBatchResponse and AppendTransactionResponse with
// json.Marshal on answers built from fuzzed fields: an approved result (its raw approval, key,
// signature and, optionally, group proof) and a declined one.
func FuzzAppendBatchResponse(f *testing.F) {
	raw, _ := json.Marshal(approvalFixture())
	g := groupFixture()
	for i, s := range nastyStrings {
		f.Add(s, "approved", string(CodeCodeUsed), s, raw, "k1", g.Signature, i%2 == 0, s, 9, 8, bytes.Join(g.Path, nil), i%3 == 0)
	}
	for _, tt := range rawCases {
		f.Add("T-1", "approved", "", "", []byte(tt.raw), "k1", []byte(nil), true, "nonce", 1, 0, []byte{}, false)
	}
	f.Fuzz(func(t *testing.T, txn, status, code, msg string, raw []byte, keyID string, sig []byte, grouped bool, nonce string, size, index int, path []byte, nilSlices bool) {
		sa := &SignedApproval{Approval: raw, KeyID: keyID, Signature: sig}
		if grouped {
			gp := &ApprovalGroupProof{TerminalID: txn, Nonce: nonce, Size: size, Index: index, Signature: sig}
			for len(path) > 0 {
				n := min(len(path), 1+int(path[0])%40)
				gp.Path, path = append(gp.Path, path[:n]), path[n:]
			}
			if nilSlices && gp.Path != nil {
				gp.Path[0] = nil
			}
			sa.Group = gp
		}
		if nilSlices {
			sa.Signature = nil
		}
		resp := BatchResponse{BatchID: msg, Nonce: nonce, Results: []TransactionResponse{
			{TerminalTxnID: txn, Status: status, Approval: sa},
			{TerminalTxnID: txn, Status: StatusDeclined, Code: Code(code), Message: msg},
		}}
		if !nilSlices {
			resp.Signature = &BatchSignature{KeyID: keyID, Signature: sig}
		}
		for _, v := range []any{resp.Results[0], resp.Results[1], &resp} {
			want, wantErr := json.Marshal(v)
			var got []byte
			var err error
			switch v := v.(type) {
			case TransactionResponse:
				got, err = AppendTransactionResponse([]byte("x"), v)
			case *BatchResponse:
				got, err = AppendBatchResponse([]byte("x"), v)
			}
			switch {
			case (err == nil) != (wantErr == nil):
				t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
			case err == nil && !bytes.Equal(got, append([]byte("x"), want...)):
				t.Fatalf("encoded\n%q\njson.Marshal\n%q", got[1:], want)
			}
		}
	})
}

// benchBatchAnswer is a signed answer of n approved payments as the server builds it.
func benchBatchAnswer(b testing.TB, n int) *BatchResponse {
	resp := &BatchResponse{BatchID: "T-0001-000001000..T-0001-000001999", Nonce: "0123456789abcdef0123456789abcdef"}
	for i := range n {
		a := approvalFixture()
		a.ApprovalID = fmt.Sprintf("ap_01JF3Q7Z9X8Y7W6V5U4T%06d", i)
		a.TerminalTxnID = fmt.Sprintf("T-0001-%09d", 1000+i)
		sa, err := UnsignedApproval(a, "k1")
		if err != nil {
			b.Fatal(err)
		}
		resp.Results = append(resp.Results, TransactionResponse{TerminalTxnID: a.TerminalTxnID, Status: StatusApproved, Approval: &sa})
	}
	resp.Signature = &BatchSignature{KeyID: "k1", Signature: bytes.Repeat([]byte{0xfe}, 64)}
	return resp
}

// benchEncoders runs enc as "append" and json.Marshal(v) as "json".
func benchEncoders(b *testing.B, v any, enc func() ([]byte, error)) {
	for _, bb := range []struct {
		name string
		enc  func() ([]byte, error)
	}{{"append", enc}, {"json", func() ([]byte, error) { return json.Marshal(v) }}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bb.enc(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeBatchAnswer: a 1,000-item batch answer, AppendBatchResponse against json.Marshal.
func BenchmarkEncodeBatchAnswer(b *testing.B) {
	resp := benchBatchAnswer(b, 1000)
	benchEncoders(b, resp, func() ([]byte, error) {
		return AppendBatchResponse(make([]byte, 0, BatchResponseSize(resp)), resp)
	})
}

// BenchmarkEncodeSingleAnswer: one approved single answer with a group proof.
func BenchmarkEncodeSingleAnswer(b *testing.B) {
	sa, err := UnsignedApproval(approvalFixture(), "k1")
	if err != nil {
		b.Fatal(err)
	}
	sa.Group = groupFixture()
	r := TransactionResponse{TerminalTxnID: "T-0001-000000042", Status: StatusApproved, Approval: &sa}
	benchEncoders(b, r, func() ([]byte, error) {
		return AppendTransactionResponse(make([]byte, 0, TransactionResponseSize(&r)), r)
	})
}

// BenchmarkEncodeApproval: one approval's bytes, UnsignedApproval against json.Marshal.
func BenchmarkEncodeApproval(b *testing.B) {
	a := approvalFixture()
	benchEncoders(b, a, func() ([]byte, error) {
		sa, err := UnsignedApproval(a, "k1")
		return sa.Approval, err
	})
}
