package protocol

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stillpay/stillpay/shared/otp"
)

// Terminal sessions (docs/protocol.md, "Terminal sessions"): a terminal opens a session with one
// request signed with its Ed25519 key, and the server answers with a 256-bit session key wrapped
// under an X25519 agreement (HKDF-SHA-256, AES-256-GCM). Later requests carry an HMAC-SHA-256 under
// that key instead of an Ed25519 signature: the same headers, timestamp, skew and single-use nonce,
// and a MAC that costs the server about a microsecond instead of ~60 µs.
//
// The server keeps no session state: the key is a PRF of a secret derived from its seal key, the
// terminal id, the terminal's public key and the session id (which carries its expiry), so a copy
// of the database holds nothing that makes a MAC.

// Headers of a MAC'd terminal request; HeaderTerminal, HeaderTimestamp and HeaderNonce as signed.
const (
	HeaderSession = "X-Stillpay-Session" // the session id from TerminalSessionResponse
	HeaderMAC     = "X-Stillpay-MAC"     // base64 HMAC-SHA-256 over RequestMACBytes
)

// Contexts that separate session keys and MACs from every other use of the same bytes.
const (
	RequestMACContext  = "stillpay-request-mac-v1\x00"
	SessionWrapContext = "stillpay-session-wrap-v1\x00"
	SessionKeyContext  = "stillpay-terminal-session-v1\x00"
)

// SessionLifetime is how long a session key is accepted; the terminal opens a new one before.
const SessionLifetime = 24 * time.Hour

// SessionKeySize is the size of a session key and of its MAC.
const SessionKeySize = 32

// sessionIDLen is the length of a session id: 16 hex digits of expiry (unix seconds), 32 of random.
const sessionIDLen = 48

// Errors of sessions. Test with errors.Is.
var (
	ErrSessionInvalid = errors.New("protocol: session id is malformed")
	ErrSessionExpired = errors.New("protocol: session expired")
	ErrSessionWrap    = errors.New("protocol: session key does not unwrap")
)

// TerminalSessionRequest opens a session: the terminal's fresh X25519 public key. It is sent to
// PathTerminalSession signed with the terminal's Ed25519 key (SignRequest), never with a MAC.
type TerminalSessionRequest struct {
	PublicKey []byte `json:"public_key"` // X25519, 32 bytes
}

// TerminalSessionResponse is the server's half: its ephemeral X25519 key and the session key wrapped under
// the agreement (OpenSessionKey).
type TerminalSessionResponse struct {
	SessionID  string    `json:"session_id"`
	Expires    time.Time `json:"expires"`
	PublicKey  []byte    `json:"public_key"`  // X25519, 32 bytes, used once
	WrappedKey []byte    `json:"wrapped_key"` // AES-256-GCM of the 32-byte session key
}

// NewSessionID returns a fresh session id that expires at expires.
func NewSessionID(expires time.Time) (string, error) {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(expires.Unix()))
	if _, err := rand.Read(b[8:]); err != nil {
		return "", fmt.Errorf("protocol: session id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// SessionExpiry reads the expiry a session id carries. Only the server's key derivation makes the
// id useful, so a changed expiry gives a key nobody holds.
func SessionExpiry(id string) (time.Time, error) {
	if len(id) != sessionIDLen {
		return time.Time{}, ErrSessionInvalid
	}
	var b [24]byte
	if _, err := hex.Decode(b[:], []byte(id)); err != nil {
		return time.Time{}, ErrSessionInvalid
	}
	secs := binary.BigEndian.Uint64(b[:8])
	if secs > 1<<40 {
		return time.Time{}, ErrSessionInvalid
	}
	return time.Unix(int64(secs), 0), nil
}

// CheckSession refuses a malformed id (ErrSessionInvalid) and one past its expiry (ErrSessionExpired).
func CheckSession(id string, now time.Time) error {
	exp, err := SessionExpiry(id)
	if err != nil {
		return err
	}
	if !now.Before(exp) {
		return fmt.Errorf("%w at %s", ErrSessionExpired, exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// SessionKeyInput is the message the server's session secret MACs into a terminal's session key:
// the context, then the terminal id, the terminal's Ed25519 public key and the session id, each with
// its length first. A new terminal key (re-enrolment) therefore ends every session of the old one.
func SessionKeyInput(terminalID string, terminalKey []byte, sessionID string) []byte {
	return AppendSessionKeyInput(make([]byte, 0, len(SessionKeyContext)+len(terminalID)+len(terminalKey)+len(sessionID)+12),
		terminalID, terminalKey, sessionID)
}

// AppendSessionKeyInput appends SessionKeyInput to dst, so that the server, which derives the key
// for every MAC'd request, can build it in a buffer on its stack.
func AppendSessionKeyInput(dst []byte, terminalID string, terminalKey []byte, sessionID string) []byte {
	dst = append(dst, SessionKeyContext...)
	dst = append(binary.AppendUvarint(dst, uint64(len(terminalID))), terminalID...)
	dst = append(binary.AppendUvarint(dst, uint64(len(terminalKey))), terminalKey...)
	return append(binary.AppendUvarint(dst, uint64(len(sessionID))), sessionID...)
}

// wrapKey derives the AES key that carries a session key from the X25519 shared secret, bound to
// both public keys, the terminal and the session.
func wrapKey(shared, terminalPub, serverPub []byte, terminalID, sessionID string) ([]byte, error) {
	salt := append(append([]byte{}, terminalPub...), serverPub...)
	return hkdf.Key(sha256.New, shared, salt, SessionWrapContext+terminalID+"\x00"+sessionID, 32)
}

// sessionAEAD is AES-256-GCM under a key used for one session key only, so its nonce is fixed.
func sessionAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// WrapSessionKey is the server's half of the agreement: a fresh X25519 key, the shared secret with
// the terminal's key, and the session key sealed under it. It returns the server's public key and
// the wrapped key.
func WrapSessionKey(terminalPub []byte, terminalID, sessionID string, key []byte) (serverPub, wrapped []byte, err error) {
	peer, err := ecdh.X25519().NewPublicKey(terminalPub)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: session: terminal key: %w", err)
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: session: %w", err)
	}
	shared, err := eph.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: session: %w", err)
	}
	serverPub = eph.PublicKey().Bytes()
	wk, err := wrapKey(shared, terminalPub, serverPub, terminalID, sessionID)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: session: %w", err)
	}
	aead, err := sessionAEAD(wk)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: session: %w", err)
	}
	return serverPub, aead.Seal(nil, make([]byte, aead.NonceSize()), key, []byte(sessionID)), nil
}

// OpenSessionKey is the terminal's half: it unwraps the session key of resp with its X25519 key.
func OpenSessionKey(priv *ecdh.PrivateKey, terminalID string, resp TerminalSessionResponse) ([]byte, error) {
	peer, err := ecdh.X25519().NewPublicKey(resp.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: server key: %v", ErrSessionWrap, err)
	}
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionWrap, err)
	}
	wk, err := wrapKey(shared, priv.PublicKey().Bytes(), resp.PublicKey, terminalID, resp.SessionID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionWrap, err)
	}
	aead, err := sessionAEAD(wk)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionWrap, err)
	}
	key, err := aead.Open(nil, make([]byte, aead.NonceSize()), resp.WrappedKey, []byte(resp.SessionID))
	if err != nil || len(key) != SessionKeySize {
		return nil, ErrSessionWrap
	}
	return key, nil
}

// requestMACBufSize holds a request MAC's message on the stack: the context (24 bytes), the longest
// terminal id and session headers ParseSignedRequest accepts (64 each), the nonce (32), a
// timestamp (at most 20 digits), the body's hex SHA-256 (64) and six newlines are 274 bytes, which
// leaves 238 for the method and the path (a payment's is "POST" and "/v1/transactions"). A longer
// message is still MAC'd, in a heap slice that append grows.
const requestMACBufSize = 512

// requestMAC sets out to the HMAC-SHA-256 a terminal sends: the same fields as a signature
// (signingBytes) plus the session id, under a context of its own. The server computes it for every
// MAC'd request, so the message is built on the stack and MAC'd by otp.HMACSHA256, which allocates
// nothing (crypto/hmac.New allocated its state, both pads and two digests: ~1.4 µs a payment).
func requestMAC(out *[SessionKeySize]byte, key []byte, method, path, terminalID string, tsMillis int64, nonce, session string, body []byte) {
	var buf [requestMACBufSize]byte
	otp.HMACSHA256(out, key, appendRequestMACInput(buf[:0], method, path, terminalID, tsMillis, nonce, session, body))
}

// appendRequestMACInput appends the message of requestMAC to b:
// context, method, path, terminal id, timestamp (decimal milliseconds), nonce and session, each
// followed by a newline, then the body's SHA-256 in lower-case hex. Terminals in the field compute
// these exact bytes.
func appendRequestMACInput(b []byte, method, path, terminalID string, tsMillis int64, nonce, session string, body []byte) []byte {
	sum := sha256.Sum256(body)
	b = append(b, RequestMACContext...)
	b = append(append(b, method...), '\n')
	b = append(append(b, path...), '\n')
	b = append(append(b, terminalID...), '\n')
	b = append(strconv.AppendInt(b, tsMillis, 10), '\n')
	b = append(append(b, nonce...), '\n')
	b = append(append(b, session...), '\n')
	return hex.AppendEncode(b, sum[:])
}

// MACRequest adds the session headers and the MAC to req for body (the exact bytes sent).
func MACRequest(req *http.Request, terminalID, session string, key []byte, now time.Time, body []byte) error {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return fmt.Errorf("protocol: nonce: %w", err)
	}
	nonce := hex.EncodeToString(n[:])
	ts := now.UnixMilli()
	var mac [SessionKeySize]byte
	requestMAC(&mac, key, req.Method, req.URL.Path, terminalID, ts, nonce, session, body)
	req.Header.Set(HeaderTerminal, terminalID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSession, session)
	req.Header.Set(HeaderMAC, base64.StdEncoding.EncodeToString(mac[:]))
	return nil
}

// VerifyRequestMAC checks a parsed MAC'd request (sr.Session set) against the session key, the
// request and the server clock. Replay (a nonce seen before) is the caller's check.
func VerifyRequestMAC(sr SignedRequest, key []byte, method, path string, body []byte, now time.Time) error {
	if err := CheckRequestTime(sr, now); err != nil {
		return err
	}
	if sr.Session == "" || len(key) != SessionKeySize {
		return ErrSignatureInvalid
	}
	var mac [SessionKeySize]byte
	requestMAC(&mac, key, method, path, sr.TerminalID, sr.Timestamp.UnixMilli(), sr.Nonce, sr.Session, body)
	if !hmac.Equal(mac[:], sr.MAC) {
		return ErrSignatureInvalid
	}
	return nil
}
