package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestTerminalSessionMACs: a terminal that opened a session MACs its requests; a forged MAC, a MAC
// under another terminal's session key, a replayed request, a stale timestamp, an expired session
// and a session id whose expiry was changed are each refused with their stable code, and a MAC'd
// request cannot open a session. Signed requests keep working beside sessions.
func TestTerminalSessionMACs(t *testing.T) {
	s := newStack(t)
	sh := s.newShop()
	ctx := context.Background()
	other := s.enrollTerminal("T2", "M1")
	if err := other.OpenSession(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sh.term.OpenSession(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sh.term.SessionKey) != protocol.SessionKeySize || sh.term.Session == other.Session {
		t.Fatalf("session %q key %d bytes", sh.term.Session, len(sh.term.SessionKey))
	}
	pay := func(txn string) []byte {
		t.Helper()
		code, err := sh.wallet.Code(s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(protocol.TransactionRequest{TerminalTxnID: txn, Amount: eur(100), Payload: code})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	// send sends req as it is (with a fresh body reader) and returns the status and problem code.
	send := func(req *http.Request, raw []byte) (int, protocol.Code) {
		t.Helper()
		req = req.Clone(ctx)
		req.Body = io.NopCloser(bytes.NewReader(raw))
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p protocol.Problem
		body, _ := io.ReadAll(resp.Body)
		json.Unmarshal(body, &p)
		return resp.StatusCode, p.Code
	}
	build := func(term *bench.Terminal, raw []byte) *http.Request {
		t.Helper()
		req, err := term.SignedPost(ctx, protocol.PathTransactions, raw)
		if err != nil {
			t.Fatal(err)
		}
		if req.Header.Get(protocol.HeaderMAC) == "" || req.Header.Get(protocol.HeaderSignature) != "" {
			t.Fatalf("request not MAC'd: %v", req.Header)
		}
		return req
	}
	want := func(name string, status int, code protocol.Code, gotStatus int, gotCode protocol.Code) {
		t.Helper()
		if gotStatus != status || gotCode != code {
			t.Errorf("%s: got %d %q, want %d %q", name, gotStatus, gotCode, status, code)
		}
	}

	before := s.balance("merchant:M1")
	raw := pay("s1")
	req := build(sh.term, raw)
	st, code := send(req, raw)
	want("MAC'd payment", http.StatusOK, "", st, code)
	st, code = send(req, raw)
	want("replayed request", http.StatusUnauthorized, protocol.CodeNonceReplayed, st, code)

	raw = pay("s2")
	req = build(sh.term, raw)
	mac, _ := base64.StdEncoding.DecodeString(req.Header.Get(protocol.HeaderMAC))
	mac[0] ^= 1
	req.Header.Set(protocol.HeaderMAC, base64.StdEncoding.EncodeToString(mac))
	st, code = send(req, raw)
	want("forged MAC", http.StatusUnauthorized, protocol.CodeSessionMACInvalid, st, code)

	// T2's session id and key, sent as T1: the key derives from the terminal id, so it fails.
	impostor := *sh.term
	impostor.Session, impostor.SessionKey = other.Session, other.SessionKey
	st, code = send(build(&impostor, raw), raw)
	want("another terminal's session key", http.StatusUnauthorized, protocol.CodeSessionMACInvalid, st, code)

	// A longer life written into the session id gives a key nobody holds.
	exp, err := protocol.SessionExpiry(sh.term.Session)
	if err != nil {
		t.Fatal(err)
	}
	longer, err := protocol.NewSessionID(exp.Add(30 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	impostor = *sh.term
	impostor.Session = longer[:16] + sh.term.Session[16:]
	st, code = send(build(&impostor, raw), raw)
	want("session id with a changed expiry", http.StatusUnauthorized, protocol.CodeSessionMACInvalid, st, code)

	stale := *sh.term
	stale.Now = func() time.Time { return s.clock.Now().Add(protocol.MaxRequestSkew + time.Minute) }
	st, code = send(build(&stale, raw), raw)
	want("stale timestamp", http.StatusUnauthorized, protocol.CodeRequestStale, st, code)

	// A MAC'd request cannot open (and so extend) a session.
	body, _ := json.Marshal(protocol.TerminalSessionRequest{PublicKey: make([]byte, 32)})
	sreq, err := sh.term.SignedPost(ctx, protocol.PathTerminalSession, body)
	if err != nil {
		t.Fatal(err)
	}
	st, code = send(sreq, body)
	want("session opened with a MAC", http.StatusUnauthorized, protocol.CodeSignatureMissing, st, code)

	// Nothing of the refused requests moved money; the MAC'd payment did.
	if got := s.balance("merchant:M1") - before; got != 100 {
		t.Errorf("merchant received %d, want the one MAC'd payment of 100", got)
	}

	// Signed requests still work beside sessions.
	signed := *sh.term
	signed.Session, signed.SessionKey = "", nil
	ans, err := signed.PostRaw(ctx, protocol.PathTransactions, pay("s3"))
	if err != nil || ans.Status != http.StatusOK {
		t.Fatalf("signed payment: %v %d %s", err, ans.Status, ans.Body)
	}

	// A day later the session has expired: refused session_expired, and a new one works.
	s.clock.Advance(protocol.SessionLifetime + time.Minute)
	ans, err = sh.term.Get(ctx, protocol.PathTerminalConfig)
	if err != nil {
		t.Fatal(err)
	}
	if p := ans.Problem(); ans.Status != http.StatusUnauthorized || p == nil || p.Code != protocol.CodeSessionExpired {
		t.Errorf("expired session: got %d %s, want 401 %s", ans.Status, ans.Body, protocol.CodeSessionExpired)
	}
	if err := sh.term.OpenSession(ctx); err != nil {
		t.Fatal(err)
	}
	if ans, err = sh.term.Get(ctx, protocol.PathTerminalConfig); err != nil || ans.Status != http.StatusOK {
		t.Fatalf("new session: %v %d %s", err, ans.Status, ans.Body)
	}
}
