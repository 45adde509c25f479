package api

import (
	"net/http"

	"github.com/stillpay/stillpay/shared/protocol"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) time(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.TimeResponse{Now: s.svc.Now().UTC()})
}

// keysResponse is the body of GET /v1/keys.
type keysResponse struct {
	Keys []protocol.ServerKey `json:"keys"`
}

func (s *Server) serverKeys(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, keysResponse{Keys: s.svc.ServerKeys()})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req protocol.SessionRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	resp, err := s.svc.Login(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	var req protocol.AuthorizationRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	resp, err := s.svc.Authorize(r.Context(), bearer(r), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req protocol.EnrollRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	resp, err := s.svc.Enroll(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// decode reads and strictly decodes the body into v, answering the problem itself when it fails.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	body, p := readBody(w, r, limit)
	if p == nil {
		p = decodeStrict(body, v)
	}
	if p != nil {
		writeProblem(w, p)
		return false
	}
	return true
}
