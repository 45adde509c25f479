package protocol

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refRequestMAC is requestMAC as it was with crypto/hmac, before otp.HMACSHA256: the bytes terminals
// in the field compute, which requestMAC must keep.
func refRequestMAC(key []byte, method, path, terminalID string, tsMillis int64, nonce, session string, body []byte) []byte {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, key)
	var hexSum [64]byte
	hex.Encode(hexSum[:], sum[:])
	for _, s := range []string{RequestMACContext, method, "\n", path, "\n", terminalID, "\n", strconv.FormatInt(tsMillis, 10), "\n", nonce, "\n", session, "\n"} {
		m.Write([]byte(s))
	}
	m.Write(hexSum[:])
	return m.Sum(nil)
}

// requestMACCase is one set of requestMAC's inputs.
type requestMACCase struct {
	name                     string
	key                      []byte
	method, path, terminalID string
	ts                       int64
	nonce, session           string
	body                     []byte
	golden                   string // hex of the MAC, when pinned
	msgLen                   int    // the message's length, when the case is about it
}

// fixedLen is the message length without method and path: context, newlines, body hash, and the
// given id, timestamp, nonce and session.
func fixedLen(terminalID string, ts int64, nonce, session string) int {
	return len(RequestMACContext) + 6 + 64 + len(terminalID) + len(strconv.FormatInt(ts, 10)) + len(nonce) + len(session)
}

func requestMACCases() []requestMACCase {
	key := bytes.Repeat([]byte{7}, SessionKeySize)
	nonce := "00112233445566778899aabbccddeeff"
	session := "0000000068fae700" + "0123456789abcdef0123456789abcdef"
	longID, longSession := strings.Repeat("t", MaxIDLen), strings.Repeat("s", 64)
	body := []byte(`{"terminal_txn_id":"tx-1","amount":{"currency":"EUR","minor":1250},"payload":"SP1.abc"}`)
	// The path that makes the longest headers' message exactly fill the stack buffer, and one byte more.
	fill := requestMACBufSize - fixedLen(longID, math.MinInt64, nonce, longSession) - len("POST")
	return []requestMACCase{
		{name: "payment", key: key, method: "POST", path: PathTransactions, terminalID: "T1", ts: 1_800_000_000_000,
			nonce: nonce, session: session, body: body,
			golden: "59e3cb57fff07d971b5d154e798e37e003bd20ccfee6e90a27a0713d55359f0c"},
		{name: "empty body", key: key, method: "POST", path: PathTransactions, terminalID: "T1", ts: 1_800_000_000_000,
			nonce: nonce, session: session, body: nil,
			golden: "eb59b7fcd1129227a3d5a64e8a88bb85b89a04000569e52ac3011d239ababe4b"},
		{name: "empty everything", key: key},
		{name: "longest headers", key: key, method: "POST", path: PathTransactions, terminalID: longID, ts: math.MinInt64,
			nonce: nonce, session: longSession, body: body},
		{name: "largest timestamp", key: key, method: "GET", path: "/v1/transactions/tx-1", terminalID: longID, ts: math.MaxInt64,
			nonce: nonce, session: longSession},
		{name: "buffer exactly full", key: key, method: "POST", path: "/" + strings.Repeat("p", fill-1), terminalID: longID,
			ts: math.MinInt64, nonce: nonce, session: longSession, body: body, msgLen: requestMACBufSize},
		{name: "buffer one byte over", key: key, method: "POST", path: "/" + strings.Repeat("p", fill), terminalID: longID,
			ts: math.MinInt64, nonce: nonce, session: longSession, body: body, msgLen: requestMACBufSize + 1},
		{name: "long path", key: key, method: "DELETE", path: "/v1/" + strings.Repeat("ab/", 700), terminalID: "T1", ts: 1,
			nonce: nonce, session: session, body: bytes.Repeat([]byte("x"), 10_000)},
		{name: "unicode", key: key, method: "POST", path: "/v1/caf\u00e9/\u20ac", terminalID: "t\u00e9rm-\u00fc-\U0001F600", ts: -1,
			nonce: nonce, session: session, body: []byte("\u00e9t\u00e9 \x00\xff")},
		{name: "newlines in fields", key: key, method: "PO\nST", path: "/a\n/b", terminalID: "T\n1", ts: 0,
			nonce: "\n", session: "\n\n", body: []byte("\n")},
		{name: "no key", key: nil, method: "POST", path: PathTransactions, terminalID: "T1", ts: 1_800_000_000_000,
			nonce: nonce, session: session, body: body},
		{name: "key longer than a block", key: bytes.Repeat([]byte{0xaa}, 131), method: "POST", path: PathTransactions,
			terminalID: "T1", ts: 1_800_000_000_000, nonce: nonce, session: session, body: body},
	}
}

// TestRequestMACMatchesReference: requestMAC gives crypto/hmac's bytes for every case, including
// messages that fill the stack buffer exactly and that overflow it; the pinned cases also equal their
// golden values, so a change to both implementations would show; and VerifyRequestMAC accepts the
// reference MAC and refuses it with one bit flipped.
func TestRequestMACMatchesReference(t *testing.T) {
	t.Parallel()
	for _, tc := range requestMACCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := refRequestMAC(tc.key, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)
			var got [SessionKeySize]byte
			requestMAC(&got, tc.key, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)
			if !bytes.Equal(got[:], want) {
				t.Fatalf("requestMAC = %x, crypto/hmac = %x", got, want)
			}
			if n := len(appendRequestMACInput(nil, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)); tc.msgLen != 0 && n != tc.msgLen {
				t.Fatalf("message of %d bytes, the case wants %d", n, tc.msgLen)
			}
			if tc.golden != "" && hex.EncodeToString(got[:]) != tc.golden {
				t.Fatalf("requestMAC = %x, golden %s", got, tc.golden)
			}
			if len(tc.key) != SessionKeySize || tc.session == "" {
				return
			}
			now := time.UnixMilli(tc.ts)
			sr := SignedRequest{TerminalID: tc.terminalID, Timestamp: now, Nonce: tc.nonce, Session: tc.session, MAC: want}
			if err := VerifyRequestMAC(sr, tc.key, tc.method, tc.path, tc.body, now); err != nil {
				t.Fatalf("VerifyRequestMAC refuses the reference MAC: %v", err)
			}
			sr.MAC = append([]byte(nil), want...)
			sr.MAC[31] ^= 1
			if err := VerifyRequestMAC(sr, tc.key, tc.method, tc.path, tc.body, now); err == nil {
				t.Fatal("VerifyRequestMAC accepts a flipped MAC")
			}
		})
	}
}

// TestMACRequestHeaderMatchesReference: the MAC header MACRequest sets is the reference MAC of the
// headers it sets beside it.
func TestMACRequestHeaderMatchesReference(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{9}, SessionKeySize)
	body := []byte(`{"a":1}`)
	req, err := http.NewRequest(http.MethodPost, "http://x"+PathTransactions, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := MACRequest(req, "T1", "sess", key, time.UnixMilli(1_800_000_000_123), body); err != nil {
		t.Fatal(err)
	}
	h := req.Header
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := base64.StdEncoding.EncodeToString(refRequestMAC(key, http.MethodPost, PathTransactions, h.Get(HeaderTerminal), ts, h.Get(HeaderNonce), h.Get(HeaderSession), body))
	if got := h.Get(HeaderMAC); got != want {
		t.Fatalf("MAC header %s, reference %s", got, want)
	}
}

// TestRequestMACAllocations: computing and verifying a payment's MAC allocates nothing (crypto/hmac
// allocated its state, two digests and both pads).
func TestRequestMACAllocations(t *testing.T) {
	tc := requestMACCases()[0]
	var mac [SessionKeySize]byte
	if n := testing.AllocsPerRun(100, func() {
		requestMAC(&mac, tc.key, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)
	}); n != 0 {
		t.Errorf("requestMAC: %v allocations, want 0", n)
	}
	now := time.UnixMilli(tc.ts)
	sr := SignedRequest{TerminalID: tc.terminalID, Timestamp: now, Nonce: tc.nonce, Session: tc.session, MAC: mac[:]}
	if n := testing.AllocsPerRun(100, func() {
		if err := VerifyRequestMAC(sr, tc.key, tc.method, tc.path, tc.body, now); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("VerifyRequestMAC: %v allocations, want 0", n)
	}
}

// FuzzRequestMAC: requestMAC equals the crypto/hmac reference for any inputs; seeded from the table.
func FuzzRequestMAC(f *testing.F) {
	for _, tc := range requestMACCases() {
		f.Add(tc.key, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)
	}
	f.Fuzz(func(t *testing.T, key []byte, method, path, terminalID string, ts int64, nonce, session string, body []byte) {
		want := refRequestMAC(key, method, path, terminalID, ts, nonce, session, body)
		var got [SessionKeySize]byte
		requestMAC(&got, key, method, path, terminalID, ts, nonce, session, body)
		if !bytes.Equal(got[:], want) {
			t.Fatalf("requestMAC = %x, crypto/hmac = %x", got, want)
		}
	})
}

// BenchmarkRequestMAC: a payment's MAC by the crypto/hmac reference and by requestMAC, in one run.
func BenchmarkRequestMAC(b *testing.B) {
	tc := requestMACCases()[0]
	b.Run("crypto-hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			refRequestMAC(tc.key, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)
		}
	})
	b.Run("otp", func(b *testing.B) {
		b.ReportAllocs()
		var mac [SessionKeySize]byte
		for b.Loop() {
			requestMAC(&mac, tc.key, tc.method, tc.path, tc.terminalID, tc.ts, tc.nonce, tc.session, tc.body)
		}
	})
}
