package protocol

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestSessionKeyWrapAndMAC: the terminal unwraps the key the server wrapped; a MAC verifies under it
// and not under another key, nor for another body or session.
func TestSessionKeyWrapAndMAC(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewSessionID(now.Add(SessionLifetime))
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, SessionKeySize)
	pub, wrapped, err := WrapSessionKey(priv.PublicKey().Bytes(), "T1", id, key)
	if err != nil {
		t.Fatal(err)
	}
	resp := TerminalSessionResponse{SessionID: id, PublicKey: pub, WrappedKey: wrapped}
	got, err := OpenSessionKey(priv, "T1", resp)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap: %x %v", got, err)
	}
	if _, err := OpenSessionKey(priv, "T2", resp); !errors.Is(err, ErrSessionWrap) {
		t.Errorf("unwrap as another terminal: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://x/v1/transactions", nil)
	if err := MACRequest(req, "T1", id, key, now, []byte("body")); err != nil {
		t.Fatal(err)
	}
	sr, err := ParseSignedRequest(req.Header)
	if err != nil || !sr.HasMAC() {
		t.Fatalf("parse: %+v %v", sr, err)
	}
	if err := VerifyRequestMAC(sr, key, req.Method, req.URL.Path, []byte("body"), now); err != nil {
		t.Errorf("verify: %v", err)
	}
	if err := VerifyRequestMAC(sr, bytes.Repeat([]byte{8}, SessionKeySize), req.Method, req.URL.Path, []byte("body"), now); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("other key: %v", err)
	}
	if err := VerifyRequestMAC(sr, key, req.Method, req.URL.Path, []byte("bodY"), now); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("other body: %v", err)
	}
	if err := VerifyRequestMAC(sr, key, req.Method, req.URL.Path, []byte("body"), now.Add(MaxRequestSkew+time.Second)); !errors.Is(err, ErrRequestStale) {
		t.Errorf("stale: %v", err)
	}
	if err := VerifyRequest(sr, nil, req.Method, req.URL.Path, []byte("body"), now); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("a MAC'd request passed as signed: %v", err)
	}
	if err := CheckSession(id, now.Add(SessionLifetime)); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("expired: %v", err)
	}
	for _, bad := range []string{"", "xyz", id[:47], id[:47] + "g"} {
		if err := CheckSession(bad, now); !errors.Is(err, ErrSessionInvalid) {
			t.Errorf("session %q: %v", bad, err)
		}
	}
	req.Header.Set(HeaderSignature, "AAAA")
	if _, err := ParseSignedRequest(req.Header); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("signature and MAC both: %v", err)
	}
}

// FuzzParseSessionHeaders: any session id and MAC header parse to an error or to a request whose
// session check and MAC check never panic; seeded from TestSessionKeyWrapAndMAC's cases.
func FuzzParseSessionHeaders(f *testing.F) {
	f.Add("0000000068fae70000000000000000000000000000000000", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "1800000000000")
	f.Add("", "AAAA", "1")
	f.Add("xyz", "not base64!", "x")
	f.Fuzz(func(t *testing.T, session, mac, ts string) {
		h := http.Header{}
		h.Set(HeaderTerminal, "T1")
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderNonce, "00112233445566778899aabbccddeeff")
		h.Set(HeaderSession, session)
		h.Set(HeaderMAC, mac)
		sr, err := ParseSignedRequest(h)
		if err != nil {
			return
		}
		if !sr.HasMAC() || len(sr.MAC) != SessionKeySize {
			t.Fatalf("parsed %+v", sr)
		}
		_ = CheckSession(sr.Session, time.Unix(1_800_000_000, 0))
		if VerifyRequestMAC(sr, make([]byte, SessionKeySize), "POST", "/", nil, sr.Timestamp) == nil && session == "" {
			t.Fatal("verified without a session")
		}
	})
}
