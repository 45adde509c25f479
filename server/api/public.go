package api

import (
	"net/http"

	"github.com/stillpay/stillpay/shared/protocol"
)

// healthResponse is the body of GET /healthz.
type healthResponse struct {
	// Status is "ok" while the process serves: /healthz is a liveness check, and restarting
	// settlementd does not bring a database back.
	Status string `json:"status"`
	// Store is "ok", or "unavailable" when the store's health check failed (the log has why).
	Store string `json:"store"`
}

// health answers 200 while the process serves, and says whether the store answers.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	resp := healthResponse{Status: "ok", Store: "ok"}
	if err := s.svc.StoreHealth(r.Context()); err != nil {
		s.log.Warn("health check: store unavailable", "err", err)
		resp.Store = "unavailable"
	}
	writeJSON(w, http.StatusOK, resp)
}

// ready is the load balancers' check: 200 when this instance can take payments now (its store
// answers, as the primary), else 503 with Retry-After, so that the balancer sends terminals
// elsewhere while this instance cannot reach the database.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.StoreHealth(r.Context()); err != nil {
		s.log.Warn("readiness check: store unavailable", "err", err)
		writeProblem(w, unavailable("the store is unavailable"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
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
	if !s.passwordTransport(w, r) {
		return
	}
	var req protocol.SessionRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	resp, err := s.svc.Login(r.Context(), r.RemoteAddr, req)
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
