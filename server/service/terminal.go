package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Enrollment codes: 16 characters of Crockford base32 (80 bits), shown in groups of four. Only their
// SHA-256 is stored.
const (
	enrollCodeChars    = 16
	enrollCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// newEnrollCode returns a fresh code such as "7K3M-Q9TX-2HVB-88RN".
func newEnrollCode() (string, error) {
	b := make([]byte, enrollCodeChars)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("service: enrollment code: %w", err)
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(enrollCodeAlphabet[c&31])
	}
	return sb.String(), nil
}

// enrollCodeHash normalises a typed code (case, dashes, spaces, the look-alikes Crockford folds) and
// hashes it.
func enrollCodeHash(code string) []byte {
	r := strings.NewReplacer("-", "", " ", "", "I", "1", "L", "1", "O", "0")
	norm := r.Replace(strings.ToUpper(code))
	sum := sha256.Sum256([]byte(norm))
	return sum[:]
}

// Enroll exchanges a one-time enrollment code and the terminal's public key for its identity and
// configuration.
func (s *Service) Enroll(ctx context.Context, req protocol.EnrollRequest) (protocol.EnrollResponse, error) {
	if err := fieldProblem(protocol.CheckRequiredText("enroll_code", req.EnrollCode, protocol.MaxEnrollCodeLen)); err != nil {
		return protocol.EnrollResponse{}, err
	}
	if len(req.PublicKey) != ed25519.PublicKeySize {
		return protocol.EnrollResponse{}, invalidField("public_key", "public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize)
	}
	if err := checkText("hostname", req.Hostname, protocol.MaxHostnameLen); err != nil {
		return protocol.EnrollResponse{}, err
	}
	if err := checkText("version", req.Version, protocol.MaxVersionLen); err != nil {
		return protocol.EnrollResponse{}, err
	}
	t, err := s.store.EnrollTerminal(ctx, store.Enrollment{
		CodeHash:  enrollCodeHash(req.EnrollCode),
		PublicKey: req.PublicKey,
		Hostname:  req.Hostname,
		Version:   req.Version,
		At:        s.clock.Now(),
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrEnrollCodeExpired):
		return protocol.EnrollResponse{}, problem(http.StatusUnauthorized, protocol.CodeEnrollCodeInvalid,
			"the enrollment code is unknown or expired; ask the operator for a new one")
	case errors.Is(err, store.ErrEnrollCodeUsed):
		return protocol.EnrollResponse{}, problem(http.StatusConflict, protocol.CodeEnrollCodeUsed,
			"the enrollment code was already used; ask the operator for a new terminal")
	case errors.Is(err, store.ErrRevoked):
		return protocol.EnrollResponse{}, problem(http.StatusForbidden, protocol.CodeTerminalRevoked, "the terminal was revoked")
	case err != nil:
		return protocol.EnrollResponse{}, fmt.Errorf("service: enroll: %w", err)
	}
	s.log.Info("terminal enrolled", "terminal_id", t.ID, "merchant_id", t.MerchantID, "hostname", t.Hostname)
	resp, err := s.TerminalConfig(ctx, t)
	if err != nil {
		return resp, err
	}
	resp.SeqFloor, err = s.seqFloor(ctx, t.ID)
	return resp, err
}

// seqFloor is where a box enrolling for terminal id starts numbering: 0 for a terminal without
// transactions, else protocol.ReplacedBoxSeqMargin above the sequence of its newest transaction.
func (s *Service) seqFloor(ctx context.Context, id string) (uint64, error) {
	txns, err := s.store.ListTxns(ctx, store.TxnFilter{TerminalID: id, Limit: 1})
	if err != nil || len(txns) == 0 {
		return 0, err
	}
	txnID := txns[0].Key.TerminalTxnID
	n, err := strconv.ParseUint(txnID[strings.LastIndexByte(txnID, '-')+1:], 10, 64)
	if err != nil {
		n = 0 // an id not of the form TERMINAL-SEQ: the margin alone
	}
	return n + protocol.ReplacedBoxSeqMargin, nil
}

// TerminalConfig is a terminal's identity, limits and the server keys (also the enrollment answer).
func (s *Service) TerminalConfig(ctx context.Context, t store.Terminal) (protocol.EnrollResponse, error) {
	m, err := s.store.GetMerchant(ctx, t.MerchantID)
	if err != nil {
		return protocol.EnrollResponse{}, fmt.Errorf("service: terminal %s: merchant: %w", t.ID, err)
	}
	return protocol.EnrollResponse{
		TerminalID:    t.ID,
		MerchantID:    m.ID,
		MerchantName:  m.Name,
		ReceiptHeader: m.ReceiptHeader,
		Limits:        t.Limits,
		ServerKeys:    s.keys.Public(),
		ServerTime:    s.clock.Now().UTC(),
	}, nil
}

// AuthenticateTerminal checks a signed terminal request: the headers, the terminal's state, the
// clock skew and the signature over method, path and body. The nonce is the caller's next step:
// UseNonce, or ProcessSigned, which records it alongside the request's own write.
func (s *Service) AuthenticateTerminal(ctx context.Context, h http.Header, method, path string, body []byte) (store.Terminal, protocol.SignedRequest, error) {
	t, sr, err := s.CheckTerminalHeaders(ctx, h)
	if err != nil {
		return t, sr, err
	}
	return s.VerifyTerminalRequest(t, sr, method, path, body)
}

// CheckTerminalHeaders is the part of AuthenticateTerminal that needs no body: the signature headers
// are present and well formed, the terminal is known and active, and the timestamp is within the
// skew. A server calls it before it reads a body, so that an unauthenticated client cannot make it
// read (and hold) megabytes; VerifyTerminalRequest then checks the signature over the body.
func (s *Service) CheckTerminalHeaders(ctx context.Context, h http.Header) (store.Terminal, protocol.SignedRequest, error) {
	sr, err := protocol.ParseSignedRequest(h)
	switch {
	case errors.Is(err, protocol.ErrSignatureMissing):
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeSignatureMissing, "terminal requests must be signed")
	case err != nil:
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeSignatureInvalid, "%v", err)
	}
	t, err := s.store.GetTerminal(ctx, sr.TerminalID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeTerminalUnknown, "unknown terminal")
	case err != nil:
		return store.Terminal{}, sr, fmt.Errorf("service: terminal %s: %w", sr.TerminalID, err)
	case t.State == store.TerminalRevoked:
		return store.Terminal{}, sr, problem(http.StatusForbidden, protocol.CodeTerminalRevoked, "the terminal was revoked")
	case !t.Enrolled():
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeTerminalUnknown, "the terminal is not enrolled yet")
	}
	if err := protocol.CheckRequestTime(sr, s.clock.Now()); err != nil {
		return store.Terminal{}, sr, staleProblem(err)
	}
	if sr.HasMAC() {
		if err := protocol.CheckSession(sr.Session, s.clock.Now()); err != nil {
			return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeSessionExpired, "%v; open a new session (POST %s)", err, protocol.PathTerminalSession)
		}
	}
	return t, sr, nil
}

// VerifyTerminalRequest checks the signature (or the session MAC, session.go) of a request whose
// headers CheckTerminalHeaders accepted, over its method, path and exact body bytes.
func (s *Service) VerifyTerminalRequest(t store.Terminal, sr protocol.SignedRequest, method, path string, body []byte) (store.Terminal, protocol.SignedRequest, error) {
	if sr.HasMAC() {
		return s.verifyRequestMAC(t, sr, method, path, body)
	}
	err := protocol.VerifyRequest(sr, ed25519.PublicKey(t.PublicKey), method, path, body, s.clock.Now())
	if p := staleProblem(err); p != nil {
		return store.Terminal{}, sr, p
	}
	if err != nil {
		return store.Terminal{}, sr, problem(http.StatusUnauthorized, protocol.CodeSignatureInvalid, "the request signature does not verify")
	}
	return t, sr, nil
}

// staleProblem is the request_stale problem of a timestamp outside the skew, or nil for any other
// error.
func staleProblem(err error) *protocol.Problem {
	if errors.Is(err, protocol.ErrRequestStale) {
		return problem(http.StatusUnauthorized, protocol.CodeRequestStale, "%v; check the terminal clock (GET /v1/time)", err)
	}
	return nil
}

// UseNonce records the nonce of an authenticated request in the store (so a replay to another
// instance is caught too) and refuses one seen before. ProcessSigned records it inside the store
// write of the request's payments instead.
func (s *Service) UseNonce(ctx context.Context, t store.Terminal, sr protocol.SignedRequest) error {
	err := s.store.UseNonce(ctx, t.ID, sr.Nonce, nonceExpiry(sr))
	switch {
	case errors.Is(err, store.ErrNonceReplayed):
		return nonceReplayedProblem()
	case errors.Is(err, store.ErrClosed):
		return problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, "the server is shutting down; retry")
	case err != nil:
		return fmt.Errorf("service: nonce: %w", err)
	}
	return nil
}

// nonceExpiry is when a request's nonce may be forgotten: it must outlive every instant at which its
// timestamp is still inside the skew window.
func nonceExpiry(sr protocol.SignedRequest) time.Time {
	return sr.Timestamp.Add(2 * protocol.MaxRequestSkew)
}

func nonceReplayedProblem() *protocol.Problem {
	return problem(http.StatusUnauthorized, protocol.CodeNonceReplayed, "this signed request was already received; sign each request anew")
}
