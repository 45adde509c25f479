package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// fakeServer is a real HTTP server on 127.0.0.1 whose answers the test scripts. It verifies every
// terminal signature the way settlementd does.
type fakeServer struct {
	t       *testing.T
	pub     ed25519.PublicKey
	mu      sync.Mutex
	bodies  [][]byte
	answers []func(w http.ResponseWriter, body []byte)
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == protocol.PathTerminalSession {
		// A server from before terminal sessions: the client signs every request (session_test.go
		// covers sessions against the real server).
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	sr, err := protocol.ParseSignedRequest(r.Header)
	if err == nil {
		err = protocol.VerifyRequest(sr, f.pub, r.Method, r.URL.Path, body, time.Now())
	}
	if err != nil {
		f.t.Errorf("request not signed correctly: %v", err)
	}
	w.Header().Set(testNonceHeader, sr.Nonce) // for batchReply; removed before the answer is written
	w.Header().Set(testProofHeader, r.Header.Get(protocol.HeaderApprovalProof))
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	n := len(f.bodies)
	f.mu.Unlock()
	if n > len(f.answers) {
		f.t.Errorf("unexpected request %d", n)
		w.WriteHeader(500)
		return
	}
	f.answers[n-1](w, body)
}

func reply(status int, v any) func(http.ResponseWriter, []byte) {
	return func(w http.ResponseWriter, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
}

// testNonceHeader carries the request's nonce from fakeServer to the scripted answer;
// testProofHeader the request's protocol.HeaderApprovalProof.
const (
	testNonceHeader = "X-Test-Request-Nonce"
	testProofHeader = "X-Test-Request-Approval-Proof"
)

// batchReply answers a batch for the request it answers, as settlementd does: the answer names the
// request's nonce (the signature over it is the forwarder's to check).
func batchReply(resp protocol.BatchResponse) func(http.ResponseWriter, []byte) {
	return func(w http.ResponseWriter, body []byte) {
		resp.Nonce = w.Header().Get(testNonceHeader)
		w.Header().Del(testNonceHeader)
		reply(200, resp)(w, body)
	}
}

func newTestClient(t *testing.T, answers ...func(http.ResponseWriter, []byte)) (*Client, *fakeServer) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	f := &fakeServer{t: t, pub: pub, answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return New(Options{BaseURL: srv.URL, TerminalID: "T-1", Key: priv, Timeout: 500 * time.Millisecond}), f
}

var req = protocol.TransactionRequest{TerminalTxnID: "T-1-000000001", Amount: money.Amount{Minor: 1250, Currency: "EUR"}, Payload: "SP1:X"}

func TestTransactionRetriesTheSameRequest(t *testing.T) {
	approved := protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusApproved}
	c, f := newTestClient(t,
		reply(503, protocol.Problem{Code: protocol.CodeUnavailable}),
		reply(409, protocol.Problem{Code: protocol.CodeInProgress}),
		reply(200, approved))
	resp, err := c.Transaction(context.Background(), req)
	if err != nil || resp.Status != protocol.StatusApproved {
		t.Fatalf("got %+v, %v", resp, err)
	}
	if len(f.bodies) != 3 {
		t.Fatalf("%d attempts, want 3", len(f.bodies))
	}
	for _, b := range f.bodies[1:] {
		if string(b) != string(f.bodies[0]) {
			t.Fatalf("retry changed the body:\n%s\n%s", f.bodies[0], b)
		}
	}
}

func TestTransactionDeclineIsAnAnswer(t *testing.T) {
	c, _ := newTestClient(t, reply(402, protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusDeclined, Code: protocol.CodeInsufficientFunds}))
	resp, err := c.Transaction(context.Background(), req)
	if err != nil || resp.Code != protocol.CodeInsufficientFunds {
		t.Fatalf("got %+v, %v", resp, err)
	}
}

func TestTransactionProblem(t *testing.T) {
	c, _ := newTestClient(t, reply(401, protocol.Problem{Code: protocol.CodeTerminalRevoked, Title: "Unauthorized", Status: 401}))
	_, err := c.Transaction(context.Background(), req)
	if !errors.Is(err, &protocol.Problem{Code: protocol.CodeTerminalRevoked}) {
		t.Fatalf("got %v", err)
	}
}

func TestTransactionAnswerForAnotherID(t *testing.T) {
	c, _ := newTestClient(t, reply(200, protocol.TransactionResponse{TerminalTxnID: "T-1-000000099", Status: protocol.StatusApproved}))
	if _, err := c.Transaction(context.Background(), req); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("got %v", err)
	}
}

func TestTransactionNothingListening(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, priv, _ := ed25519.GenerateKey(nil)
	c := New(Options{BaseURL: "http://" + addr, TerminalID: "T-1", Key: priv, Timeout: 200 * time.Millisecond})
	_, err := c.Transaction(context.Background(), req)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnreachable) || ue.MaybeSent || ue.Attempts != MaxSendAttempts {
		t.Fatalf("got %#v", err)
	}
}

func TestTransactionTimeoutMayHaveBeenSent(t *testing.T) {
	release := make(chan struct{})
	hang := func(w http.ResponseWriter, _ []byte) { <-release }
	c, f := newTestClient(t, hang, hang, hang)
	defer close(release)
	_, err := c.Transaction(context.Background(), req)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !ue.MaybeSent {
		t.Fatalf("got %#v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) != MaxSendAttempts {
		t.Fatalf("%d attempts", len(f.bodies))
	}
}

func TestBatchChecksResultOrder(t *testing.T) {
	items := []protocol.BatchItem{{Kind: protocol.KindOffline, TerminalTxnID: "A"}, {Kind: protocol.KindOffline, TerminalTxnID: "B"}}
	c, _ := newTestClient(t,
		batchReply(protocol.BatchResponse{Results: []protocol.TransactionResponse{{TerminalTxnID: "A"}, {TerminalTxnID: "B"}}}),
		batchReply(protocol.BatchResponse{Results: []protocol.TransactionResponse{{TerminalTxnID: "B"}, {TerminalTxnID: "A"}}}),
		batchReply(protocol.BatchResponse{Results: []protocol.TransactionResponse{{TerminalTxnID: "A"}}}))
	if _, err := c.Batch(context.Background(), protocol.BatchRequest{Items: items}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.Batch(context.Background(), protocol.BatchRequest{Items: items}); !errors.Is(err, ErrBadAnswer) {
			t.Fatalf("bad batch answer %d accepted: %v", i, err)
		}
	}
}

// TestBatchRefusesAReplayedAnswer: an answer recorded for an earlier request (its signed nonce is
// that request's) is refused for a new one, even with the same items and results.
func TestBatchRefusesAReplayedAnswer(t *testing.T) {
	items := []protocol.BatchItem{{Kind: protocol.KindOffline, TerminalTxnID: "A"}}
	results := []protocol.TransactionResponse{{TerminalTxnID: "A", Status: protocol.StatusApproved}}
	var first protocol.BatchResponse
	recordFirst := func(w http.ResponseWriter, body []byte) {
		first = protocol.BatchResponse{Results: results, Nonce: w.Header().Get(testNonceHeader)}
		w.Header().Del(testNonceHeader)
		reply(200, first)(w, body)
	}
	replay := func(w http.ResponseWriter, body []byte) {
		w.Header().Del(testNonceHeader)
		reply(200, first)(w, body)
	}
	c, _ := newTestClient(t, recordFirst, replay)
	if _, err := c.Batch(context.Background(), protocol.BatchRequest{Items: items}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Batch(context.Background(), protocol.BatchRequest{Items: items}); !errors.Is(err, ErrBadAnswer) || !errors.Is(err, protocol.ErrBatchNonce) {
		t.Fatalf("replayed answer: %v, want ErrBadAnswer and protocol.ErrBatchNonce", err)
	}
}

// TestTransactionRefusesAReplayedGroupAnswer: the client announces group proofs, and an approval
// proven in a group must answer this very request: a recorded answer of an earlier request (its
// nonce) and an answer proven for another terminal are refused.
func TestTransactionRefusesAReplayedGroupAnswer(t *testing.T) {
	approved := func(terminal, nonce string) protocol.TransactionResponse {
		return protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusApproved,
			Approval: &protocol.SignedApproval{Approval: []byte(`{"approval_id":"ap_1"}`), KeyID: "k1",
				Group: &protocol.ApprovalGroupProof{TerminalID: terminal, Nonce: nonce, Size: 1}}}
	}
	var first protocol.TransactionResponse
	recordFirst := func(w http.ResponseWriter, body []byte) {
		if got := w.Header().Get(testProofHeader); got != protocol.ApprovalProofGroup {
			t.Errorf("%s = %q, want %q", protocol.HeaderApprovalProof, got, protocol.ApprovalProofGroup)
		}
		first = approved("T-1", w.Header().Get(testNonceHeader))
		reply(200, first)(w, body)
	}
	replay := func(w http.ResponseWriter, body []byte) { reply(200, first)(w, body) }
	otherTerminal := func(w http.ResponseWriter, body []byte) {
		reply(200, approved("T-2", w.Header().Get(testNonceHeader)))(w, body)
	}
	c, _ := newTestClient(t, recordFirst, replay, otherTerminal)
	if _, err := c.Transaction(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Transaction(context.Background(), req); !errors.Is(err, ErrBadAnswer) || !errors.Is(err, protocol.ErrApprovalBinding) {
		t.Fatalf("replayed group answer: %v, want ErrBadAnswer and protocol.ErrApprovalBinding", err)
	}
	if _, err := c.Refund(context.Background(), protocol.RefundRequest{TerminalTxnID: req.TerminalTxnID}); !errors.Is(err, protocol.ErrApprovalBinding) {
		t.Fatalf("another terminal's group answer: %v, want protocol.ErrApprovalBinding", err)
	}
}

func TestNonProblemErrorBody(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, _ []byte) { w.WriteHeader(400); w.Write([]byte("<html>")) })
	if _, err := c.Transaction(context.Background(), req); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("got %v", err)
	}
}
