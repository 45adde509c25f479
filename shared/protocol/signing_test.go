package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

func TestSignVerifyRequest(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"terminal_txn_id":"T-1-1"}`)
	req := httptest.NewRequest("POST", PathTransactions, bytes.NewReader(body))
	if err := SignRequest(req, "T-1", priv, now, body); err != nil {
		t.Fatal(err)
	}
	sr, err := ParseSignedRequest(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	if sr.TerminalID != "T-1" {
		t.Fatalf("terminal = %q", sr.TerminalID)
	}
	cases := []struct {
		name   string
		pub    ed25519.PublicKey
		method string
		path   string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", pub, "POST", PathTransactions, body, now, nil},
		{"valid within skew", pub, "POST", PathTransactions, body, now.Add(MaxRequestSkew - time.Second), nil},
		{"stale", pub, "POST", PathTransactions, body, now.Add(MaxRequestSkew + time.Second), ErrRequestStale},
		{"from the future", pub, "POST", PathTransactions, body, now.Add(-MaxRequestSkew - time.Second), ErrRequestStale},
		{"other key", otherPub, "POST", PathTransactions, body, now, ErrSignatureInvalid},
		{"other path", pub, "POST", PathBatches, body, now, ErrSignatureInvalid},
		{"other method", pub, "PUT", PathTransactions, body, now, ErrSignatureInvalid},
		{"other body", pub, "POST", PathTransactions, []byte(`{"terminal_txn_id":"T-1-2"}`), now, ErrSignatureInvalid},
		{"short key", pub[:10], "POST", PathTransactions, body, now, ErrSignatureInvalid},
	}
	for _, tc := range cases {
		err := VerifyRequest(sr, tc.pub, tc.method, tc.path, tc.body, tc.now)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseSignedRequestRejectsMalformedHeaders(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	body := []byte("{}")
	good := httptest.NewRequest("POST", PathBatches, bytes.NewReader(body))
	if err := SignRequest(good, "T-9", priv, time.Now(), body); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		header, value string
		want          error
	}{
		{HeaderTerminal, "", ErrSignatureMissing},
		{HeaderNonce, "", ErrSignatureMissing},
		{HeaderNonce, "zz", ErrSignatureInvalid},
		{HeaderNonce, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", ErrSignatureInvalid},
		{HeaderTimestamp, "yesterday", ErrSignatureInvalid},
		{HeaderSignature, "not base64!", ErrSignatureInvalid},
		{HeaderSignature, "AAAA", ErrSignatureInvalid},
		{HeaderTerminal, string(bytes.Repeat([]byte("T"), MaxIDLen+1)), ErrSignatureInvalid},
	} {
		h := good.Header.Clone()
		h.Set(tc.header, tc.value)
		if _, err := ParseSignedRequest(h); !errors.Is(err, tc.want) {
			t.Errorf("%s=%q: err = %v, want %v", tc.header, tc.value, err, tc.want)
		}
	}
}

func TestApprovalSignatureIsDeterministicAndChecked(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	keys := []ServerKey{{KeyID: "k1", PublicKey: pub, Current: true}}
	a := Approval{ApprovalID: "A-1", ApprovalCode: "7QX2PM", TerminalID: "T-1", TerminalTxnID: "T-1-1",
		Amount: money.Amount{Minor: 1250, Currency: "EUR"}, ApprovedAt: time.Unix(1_800_000_000, 0).UTC()}
	s1, err := SignApproval(a, "k1", priv)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := SignApproval(a, "k1", priv)
	if !bytes.Equal(s1.Signature, s2.Signature) || !bytes.Equal(s1.Approval, s2.Approval) {
		t.Fatal("signing the same approval twice gave different bytes")
	}
	got, err := VerifyApproval(s1, keys)
	if err != nil || got.ApprovalID != "A-1" || got.Amount != a.Amount {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	tampered := s1
	tampered.Approval = bytes.Replace(s1.Approval, []byte("1250"), []byte("9250"), 1)
	if _, err := VerifyApproval(tampered, keys); !errors.Is(err, ErrApprovalSignature) {
		t.Errorf("tampered approval: err = %v", err)
	}
	unknown := s1
	unknown.KeyID = "k0"
	if _, err := VerifyApproval(unknown, keys); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: err = %v", err)
	}
}

func TestProblemIs(t *testing.T) {
	var err error = &Problem{Status: 402, Title: "Payment declined", Code: CodeCodeUsed, Detail: "code already used"}
	if !errors.Is(err, &Problem{Code: CodeCodeUsed}) || errors.Is(err, &Problem{Code: CodeCodeInvalid}) {
		t.Fatal("Problem.Is does not match on code")
	}
	if ProblemCode(err) != CodeCodeUsed {
		t.Fatal("ProblemCode")
	}
}
