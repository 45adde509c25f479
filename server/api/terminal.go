package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// terminalHandler serves an authenticated terminal request with its exact body bytes. sr is the
// request's signature; handlers pass it on so that its nonce is recorded (service.ProcessSigned,
// service.UseNonce).
type terminalHandler func(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, body []byte)

// terminal checks the signature headers (present, well formed, terminal known and active, timestamp
// within the skew) before it reads a byte of the body, so an unauthenticated client cannot make the
// server read and hold up to limit bytes; then it reads the body (up to limit bytes, refusing a
// declared Content-Length over it at once), checks the signature over the bytes as they came, and
// passes the terminal on.
func (s *Server) terminal(limit int64, h terminalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, sr, err := s.svc.CheckTerminalHeaders(r.Context(), r.Header)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var body []byte
		if limit > 0 {
			if r.ContentLength > limit {
				writeProblem(w, problem(http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge,
					fmt.Sprintf("the body is larger than %d bytes", limit)))
				return
			}
			var p *protocol.Problem
			if body, p = readBody(w, r, limit); p != nil {
				writeProblem(w, p)
				return
			}
		}
		t, sr, err = s.svc.VerifyTerminalRequest(t, sr, r.Method, r.URL.Path, body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, t, sr, body)
	}
}

func (s *Server) terminalSelf(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, _ []byte) {
	if err := s.svc.UseNonce(r.Context(), t, sr); err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.svc.TerminalConfig(r.Context(), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// terminalSession opens a session whose key MACs the terminal's later requests (service.OpenSession).
func (s *Server) terminalSession(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, body []byte) {
	var req protocol.TerminalSessionRequest
	if p := decodeStrict(body, &req); p != nil {
		writeProblem(w, p)
		return
	}
	resp, err := s.svc.OpenSession(r.Context(), t, sr, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// singleRequest makes the handler of a one-request endpoint: decode its body strictly into T, turn it
// into a service request and answer it with single.
func singleRequest[T any](s *Server, convert func(T) service.Request) func(http.ResponseWriter, *http.Request, store.Terminal, protocol.SignedRequest, []byte) {
	return func(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, body []byte) {
		var req T
		if p := decodeStrict(body, &req); p != nil {
			writeProblem(w, p)
			return
		}
		s.single(w, r, t, sr, convert(req))
	}
}

// single answers one request: 200 approved, 402 declined (both final, and the same approval for
// the same key), or a problem. A terminal that announces group proofs (protocol.HeaderApprovalProof)
// gets its approval proven in a group bound to this request's nonce; any other gets it signed on
// its own, as before.
func (s *Server) single(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, req service.Request) {
	process := s.svc.ProcessSigned
	if r.Header.Get(protocol.HeaderApprovalProof) == protocol.ApprovalProofGroup {
		process = s.svc.ProcessGrouped
	}
	results, err := process(r.Context(), t, sr, []service.Request{req})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := results[0]
	s.count(res)
	if res.Problem != nil {
		writeProblem(w, res.Problem)
		return
	}
	writeTransaction(w, res.HTTPStatus(), res.Response)
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, body []byte) {
	release, ok := s.batchTurn(w, r)
	if !ok {
		return
	}
	defer release()
	var req protocol.BatchRequest
	if p := decodeStrict(body, &req); p != nil {
		writeProblem(w, p)
		return
	}
	if len(req.Items) == 0 {
		writeProblem(w, problem(http.StatusBadRequest, protocol.CodeInvalidField, "a batch needs at least one item"))
		return
	}
	if len(req.Items) > protocol.MaxBatchItems {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, protocol.CodeBatchTooLarge, fmt.Sprintf("a batch holds at most %d items; split it", protocol.MaxBatchItems)))
		return
	}
	if err := protocol.CheckText("batch_id", req.BatchID, protocol.MaxIDLen); err != nil {
		writeProblem(w, protocol.FieldProblem(err))
		return
	}
	s.metrics.batchSize.Observe(float64(len(req.Items)))
	reqs := make([]service.Request, len(req.Items))
	for i, it := range req.Items {
		reqs[i] = service.FromBatchItem(it)
	}
	results, err := s.svc.ProcessBatch(r.Context(), t, sr, reqs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := protocol.BatchResponse{BatchID: req.BatchID, Results: make([]protocol.TransactionResponse, len(results))}
	for i, res := range results {
		s.count(res)
		resp.Results[i] = res.AsItem(req.Items[i].TerminalTxnID)
	}
	// One signature for the whole answer, bound to this request's nonce (docs/protocol.md).
	if err := s.svc.SignBatch(&resp, sr); err != nil {
		s.fail(w, r, err)
		return
	}
	writeBatch(w, http.StatusOK, &resp)
}

// count feeds the approval and decline metrics.
func (s *Server) count(res service.Result) {
	switch {
	case res.Replayed:
		// Counted when it was first answered.
	case res.Problem != nil:
		s.metrics.outcome(false, res.Kind, string(res.Problem.Code))
	case res.Response.Status == protocol.StatusDeclined:
		s.metrics.outcome(false, res.Kind, string(res.Response.Code))
		// The id, kind and reason; never the payment code or the customer's credential.
		s.log.Info("payment declined", "terminal_txn_id", res.Response.TerminalTxnID, "kind", res.Kind, "code", string(res.Response.Code))
	default:
		s.metrics.outcome(true, res.Kind, "")
	}
}

// maxConcurrentBatches bounds the batches (and imports) processed at once. Each one already uses
// every core to check its items, so more at once only multiplies memory and makes every batch
// finish late; queued batches wait their turn in arrival order instead.
const maxConcurrentBatches = 4

// batchTurn waits for a batch slot and gives the request BatchWriteTimeout to answer. The returned
// release must be called when the batch is done.
func (s *Server) batchTurn(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	// A failure only means the writer cannot change deadlines (a test recorder); keep the default.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(BatchWriteTimeout))
	select {
	case s.batchSlots <- struct{}{}:
		return func() { <-s.batchSlots }, true
	case <-r.Context().Done():
		writeProblem(w, problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, "the request ended while waiting for its turn; send it again"))
		return nil, false
	}
}
