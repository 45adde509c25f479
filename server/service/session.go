package service

import (
	"context"
	"crypto/ecdh"
	"net/http"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// SessionKeyer derives terminal session keys from a secret only the server's key holders have
// (server/keys.Sealer, whose seal key also seals the OTP secrets). A Service whose Sealer is one
// issues sessions; with any other Sealer, POST /v1/terminals/session answers sessions_unsupported
// and terminals keep signing each request with Ed25519.
type SessionKeyer interface {
	TerminalSessionKey(terminalID string, terminalKey []byte, sessionID string) []byte
}

// sessions is the Service's SessionKeyer, or nil.
func (s *Service) sessions() SessionKeyer {
	k, _ := s.sealer.(SessionKeyer)
	return k
}

// OpenSession answers an Ed25519-signed session request (docs/protocol.md, "Terminal sessions"): a
// fresh session id valid for protocol.SessionLifetime and its key, wrapped under an X25519 agreement
// with the terminal's key. The request's nonce is used up like any signed request's. A MAC'd
// request cannot open a session: a leaked session key must not extend itself.
func (s *Service) OpenSession(ctx context.Context, t store.Terminal, sr protocol.SignedRequest, req protocol.TerminalSessionRequest) (protocol.TerminalSessionResponse, error) {
	keyer := s.sessions()
	if keyer == nil {
		return protocol.TerminalSessionResponse{}, problem(http.StatusNotImplemented, protocol.CodeSessionsUnsupported, "this server issues no session keys; sign each request with the terminal key")
	}
	if sr.HasMAC() {
		return protocol.TerminalSessionResponse{}, problem(http.StatusUnauthorized, protocol.CodeSignatureMissing, "a session is opened with a request signed by the terminal key, not a session MAC")
	}
	if _, err := ecdh.X25519().NewPublicKey(req.PublicKey); err != nil {
		return protocol.TerminalSessionResponse{}, invalidField("public_key", "public_key must be a 32-byte X25519 key")
	}
	if err := s.UseNonce(ctx, t, sr); err != nil {
		return protocol.TerminalSessionResponse{}, err
	}
	expires := s.clock.Now().Add(protocol.SessionLifetime).Truncate(1e9).UTC()
	id, err := protocol.NewSessionID(expires)
	if err != nil {
		return protocol.TerminalSessionResponse{}, err
	}
	pub, wrapped, err := protocol.WrapSessionKey(req.PublicKey, t.ID, id, keyer.TerminalSessionKey(t.ID, t.PublicKey, id))
	if err != nil {
		return protocol.TerminalSessionResponse{}, err
	}
	return protocol.TerminalSessionResponse{SessionID: id, Expires: expires, PublicKey: pub, WrappedKey: wrapped}, nil
}

// verifyRequestMAC checks a MAC'd request against the key of its session, derived anew (two
// HMAC-SHA-256 computations; no store read).
func (s *Service) verifyRequestMAC(t store.Terminal, sr protocol.SignedRequest, method, path string, body []byte) (store.Terminal, protocol.SignedRequest, error) {
	keyer := s.sessions()
	if keyer == nil {
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeSessionMACInvalid, "this server issues no session keys; sign each request with the terminal key")
	}
	key := keyer.TerminalSessionKey(t.ID, t.PublicKey, sr.Session)
	if err := protocol.VerifyRequestMAC(sr, key, method, path, body, s.clock.Now()); err != nil {
		if p := staleProblem(err); p != nil {
			return store.Terminal{}, sr, p
		}
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeSessionMACInvalid,
			"the request MAC does not verify under its session; open a new session (POST %s)", protocol.PathTerminalSession)
	}
	return t, sr, nil
}
