package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ErrNotProblem is returned by ParseProblem for a body that is not a problem document.
var ErrNotProblem = errors.New("protocol: not a problem document")

// NewProblem builds a problem document whose title is the HTTP status text.
func NewProblem(status int, code Code, detail string) *Problem {
	return &Problem{Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// WriteProblem is the one writer of problem documents: it sends p as application/problem+json with
// Cache-Control: no-store, and Retry-After when p asks for one. A missing title is the status text.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Cache-Control", "no-store")
	if p.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfterSeconds))
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p) // a failed write means the client went away; nothing to do
}

// ParseProblem is the one reader of problem documents: it decodes the body of a non-2xx answer with
// HTTP status. A document without a status takes the answer's. A body that is not JSON, or has no
// code, is ErrNotProblem (wrapped, naming the status).
func ParseProblem(status int, body []byte) (*Problem, error) {
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Code == "" {
		return nil, fmt.Errorf("%w: HTTP %d with a body that is not a problem document", ErrNotProblem, status)
	}
	if p.Status == 0 {
		p.Status = status
	}
	return &p, nil
}
