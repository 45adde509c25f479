package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Headers of a signed terminal request.
const (
	HeaderTerminal  = "X-Stillpay-Terminal"
	HeaderTimestamp = "X-Stillpay-Timestamp" // unix milliseconds
	HeaderNonce     = "X-Stillpay-Nonce"     // 32 hex characters, random
	HeaderSignature = "X-Stillpay-Signature" // base64 Ed25519 signature
)

// RequestSigningContext separates request signatures from every other signature in the system.
const RequestSigningContext = "stillpay-request-v1\x00"

// MaxRequestSkew is how far a signed request's timestamp may be from the server clock. Nonces are kept
// at least twice this long so that a replay inside the window is caught.
const MaxRequestSkew = 5 * time.Minute

// Errors from VerifyRequest.
var (
	ErrSignatureMissing = errors.New("protocol: request is not signed")
	ErrSignatureInvalid = errors.New("protocol: request signature does not verify")
	ErrRequestStale     = errors.New("protocol: request timestamp outside the allowed skew")
)

// SignedRequest is what the signature covers, parsed from the headers.
type SignedRequest struct {
	TerminalID string
	Timestamp  time.Time
	Nonce      string
	Signature  []byte // Ed25519; empty when the request carries a session MAC
	// Session and MAC are set instead of Signature on a request MAC'd under a session key
	// (session.go).
	Session string
	MAC     []byte
}

// HasMAC reports whether the request is authenticated by a session MAC rather than a signature.
func (sr SignedRequest) HasMAC() bool { return sr.Session != "" }

// signingBytes is the exact byte string a terminal signs.
func signingBytes(method, path, terminalID string, tsMillis int64, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	s := RequestSigningContext + method + "\n" + path + "\n" + terminalID + "\n" +
		strconv.FormatInt(tsMillis, 10) + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
	return []byte(s)
}

// SignRequest adds the signature headers to req for body (which must be the exact bytes sent).
func SignRequest(req *http.Request, terminalID string, key ed25519.PrivateKey, now time.Time, body []byte) error {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return fmt.Errorf("protocol: nonce: %w", err)
	}
	nonce := hex.EncodeToString(n[:])
	ts := now.UnixMilli()
	sig := ed25519.Sign(key, signingBytes(req.Method, req.URL.Path, terminalID, ts, nonce, body))
	req.Header.Set(HeaderTerminal, terminalID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// ParseSignedRequest reads the authentication headers without checking them, so the server can look
// up the terminal by id: either an Ed25519 signature (HeaderSignature) or a session id and MAC
// (HeaderSession, HeaderMAC), never both.
func ParseSignedRequest(h http.Header) (SignedRequest, error) {
	id, ts, nonce, sig := h.Get(HeaderTerminal), h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	session, mac := h.Get(HeaderSession), h.Get(HeaderMAC)
	if id == "" || ts == "" || nonce == "" || (sig == "" && session == "" && mac == "") {
		return SignedRequest{}, ErrSignatureMissing
	}
	if sig != "" && (session != "" || mac != "") {
		return SignedRequest{}, fmt.Errorf("%w: both a signature and a session MAC", ErrSignatureInvalid)
	}
	if len(id) > MaxIDLen || len(nonce) != 32 || len(sig) > 128 || len(ts) > 20 || len(session) > 64 || len(mac) > 64 {
		return SignedRequest{}, fmt.Errorf("%w: malformed signature headers", ErrSignatureInvalid)
	}
	if _, err := hex.DecodeString(nonce); err != nil {
		return SignedRequest{}, fmt.Errorf("%w: nonce is not hex", ErrSignatureInvalid)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return SignedRequest{}, fmt.Errorf("%w: timestamp is not a number", ErrSignatureInvalid)
	}
	sr := SignedRequest{TerminalID: id, Timestamp: time.UnixMilli(ms), Nonce: nonce}
	if sig == "" {
		if session == "" || mac == "" {
			return SignedRequest{}, fmt.Errorf("%w: a session MAC needs both %s and %s", ErrSignatureInvalid, HeaderSession, HeaderMAC)
		}
		raw, err := base64.StdEncoding.DecodeString(mac)
		if err != nil || len(raw) != SessionKeySize {
			return SignedRequest{}, fmt.Errorf("%w: MAC is not base64 HMAC-SHA-256", ErrSignatureInvalid)
		}
		sr.Session, sr.MAC = session, raw
		return sr, nil
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return SignedRequest{}, fmt.Errorf("%w: signature is not base64 Ed25519", ErrSignatureInvalid)
	}
	sr.Signature = raw
	return sr, nil
}

// CheckRequestTime checks a parsed signature's timestamp against the server clock (ErrRequestStale).
// It needs no body, so a server checks it before reading one.
func CheckRequestTime(sr SignedRequest, now time.Time) error {
	if d := now.Sub(sr.Timestamp); d > MaxRequestSkew || d < -MaxRequestSkew {
		return fmt.Errorf("%w: %s off the server clock", ErrRequestStale, d.Round(time.Second))
	}
	return nil
}

// VerifyRequest checks a parsed signature against the terminal's public key, the request and the
// server clock. Replay (a nonce seen before) is the caller's check: it needs shared state.
func VerifyRequest(sr SignedRequest, pub ed25519.PublicKey, method, path string, body []byte, now time.Time) error {
	if err := CheckRequestTime(sr, now); err != nil {
		return err
	}
	if sr.HasMAC() {
		return ErrSignatureInvalid
	}
	if len(pub) != ed25519.PublicKeySize ||
		!ed25519.Verify(pub, signingBytes(method, path, sr.TerminalID, sr.Timestamp.UnixMilli(), sr.Nonce, body), sr.Signature) {
		return ErrSignatureInvalid
	}
	return nil
}
