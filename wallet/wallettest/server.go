// Package wallettest runs a small settlement server for wallet tests: real HTTP on 127.0.0.1,
// handlers that follow shared/protocol for login and the first approval, and a hook to make its
// answers wrong in chosen ways. The end-to-end tests against the real settlementd live with it.
package wallettest

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// The one user and account the server knows.
const (
	User     = "alice"
	Password = "correct horse"
	Account  = "acct-alice"
	KeyID    = "k-0123456789ab"
)

// Server is the test server. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	Key ed25519.PrivateKey // the server's signing key
	now func() time.Time

	mu       sync.Mutex
	secrets  map[string][]byte
	requests []protocol.AuthorizationRequest
	tamper   func(*protocol.AuthorizationResponse)
}

// New starts a server that reads the time from now; it stops when the test ends.
func New(t testing.TB, now func() time.Time) *Server {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Key: key, now: now, secrets: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+protocol.PathSessions, s.sessions)
	mux.HandleFunc("POST "+protocol.PathAuthorizations, s.authorizations)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Tamper makes the server pass every first approval through f before sending it.
func (s *Server) Tamper(f func(*protocol.AuthorizationResponse)) {
	s.mu.Lock()
	s.tamper = f
	s.mu.Unlock()
}

// ServerKeys are the server's public keys, as a terminal would hold them.
func (s *Server) ServerKeys() []protocol.ServerKey {
	return []protocol.ServerKey{{KeyID: KeyID, PublicKey: s.Key.Public().(ed25519.PublicKey), Current: true}}
}

// Secret returns the OTP secret the server issued for an authorization.
func (s *Server) Secret(authorizationID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secrets[authorizationID]
}

// Requests returns the authorization requests received so far.
func (s *Server) Requests() []protocol.AuthorizationRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]protocol.AuthorizationRequest(nil), s.requests...)
}

func problem(w http.ResponseWriter, status int, code protocol.Code) {
	protocol.WriteProblem(w, protocol.NewProblem(status, code, ""))
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) {
	var req protocol.SessionRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, protocol.MaxBodyBytes)).Decode(&req); err != nil {
		problem(w, http.StatusBadRequest, protocol.CodeMalformedJSON)
		return
	}
	if req.UserID != User || req.Password != Password {
		problem(w, http.StatusUnauthorized, protocol.CodeBadCredentials)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(protocol.SessionResponse{Token: "tok-" + req.UserID, UserID: req.UserID, ExpiresAt: s.now().Add(time.Hour)})
}

func (s *Server) authorizations(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer tok-"+User {
		problem(w, http.StatusUnauthorized, protocol.CodeUnauthenticated)
		return
	}
	var req protocol.AuthorizationRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, protocol.MaxBodyBytes)).Decode(&req); err != nil {
		problem(w, http.StatusBadRequest, protocol.CodeMalformedJSON)
		return
	}
	if req.AccountID != Account {
		problem(w, http.StatusNotFound, protocol.CodeAccountNotFound)
		return
	}
	secret, err := otp.NewSecret()
	if err != nil {
		problem(w, http.StatusInternalServerError, protocol.CodeInternal)
		return
	}
	s.mu.Lock()
	authID := fmt.Sprintf("a-%016x", len(s.requests))
	s.requests = append(s.requests, req)
	s.secrets[authID] = secret
	tamper := s.tamper
	s.mu.Unlock()
	now := s.now()
	cred, err := credential.Sign(credential.Credential{
		UserID: User, AuthorizationID: authID, DevicePublicKey: req.DevicePublicKey,
		Currency: req.CapPerPayment.Currency, CapPerPayment: req.CapPerPayment.Minor, MaxCodes: uint32(req.MaxCodes),
		IssuedAt: now, ExpiresAt: now.Add(time.Duration(req.TTLSeconds) * time.Second),
	}, KeyID, s.Key)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, protocol.CodeLimitsNotAllowed)
		return
	}
	hold, err := cred.Hold()
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, protocol.CodeLimitsNotAllowed)
		return
	}
	resp := protocol.AuthorizationResponse{
		AuthorizationID: authID, UserID: User, Secret: secret, Credential: cred.Marshal(),
		CapPerPayment: req.CapPerPayment, MaxCodes: req.MaxCodes, Hold: hold, ExpiresAt: cred.ExpiresAt,
		ServerKeys: s.ServerKeys(),
	}
	if tamper != nil {
		tamper(&resp)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}
