package api

import (
	"encoding/json"
	"net/http"

	"github.com/stillpay/stillpay/shared/protocol"
)

// problem builds a problem document; the title is the HTTP status text.
func problem(status int, code protocol.Code, detail string) *protocol.Problem {
	return protocol.NewProblem(status, code, detail)
}

// RetryAfterUnavailable is the Retry-After of a 503: a failover of the database takes seconds, and
// terminals back off further on their own.
const RetryAfterUnavailable = 1

// unavailable is the 503 problem of a request that may be sent again as it is.
func unavailable(detail string) *protocol.Problem {
	p := problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, detail)
	p.RetryAfterSeconds = RetryAfterUnavailable
	return p
}

// writeProblem sends p (protocol.WriteProblem); every 503 asks for a Retry-After.
func writeProblem(w http.ResponseWriter, p *protocol.Problem) {
	if p.Status == http.StatusServiceUnavailable && p.RetryAfterSeconds == 0 {
		p.RetryAfterSeconds = RetryAfterUnavailable
	}
	protocol.WriteProblem(w, p)
}

// writeJSON sends v with status. Bodies are produced by encoding/json from fixed types, so encoding
// cannot fail for any value the handlers build.
func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	writeEncoded(w, status, raw, err)
}

// writeTransaction sends a single request's answer, encoded by protocol.AppendTransactionResponse
// (json.Marshal's bytes without its reflection and re-validation of the approval).
func writeTransaction(w http.ResponseWriter, status int, r protocol.TransactionResponse) {
	raw, err := protocol.AppendTransactionResponse(make([]byte, 0, protocol.TransactionResponseSize(&r)+1), r)
	writeEncoded(w, status, raw, err)
}

// writeBatch sends a batch answer, encoded by protocol.AppendBatchResponse.
func writeBatch(w http.ResponseWriter, status int, r *protocol.BatchResponse) {
	raw, err := protocol.AppendBatchResponse(make([]byte, 0, protocol.BatchResponseSize(r)+1), r)
	writeEncoded(w, status, raw, err)
}

// writeEncoded sends raw, or the 500 problem of writeJSON if encoding failed.
func writeEncoded(w http.ResponseWriter, status int, raw []byte, err error) {
	if err != nil {
		writeProblem(w, problem(http.StatusInternalServerError, protocol.CodeInternal, "encoding the answer failed"))
		return
	}
	writeRaw(w, status, raw)
}

// writeRaw sends bytes that are already JSON, e.g. a stored answer replayed byte for byte.
func writeRaw(w http.ResponseWriter, status int, raw []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(raw, '\n'))
}
