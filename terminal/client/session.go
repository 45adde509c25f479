package client

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// Terminal sessions (docs/protocol.md, "Terminal sessions"): the client opens a session with one
// Ed25519-signed request and then MACs its requests with the session key, which the server checks
// in about a microsecond instead of verifying a signature. The key lives in memory only.

// authMode says how a request is authenticated.
type authMode int

const (
	authNone      authMode = iota // enrollment, health, time, keys
	authSignature                 // Ed25519 with the terminal key
	authSession                   // the session MAC when a session is at hand, else authSignature
)

const (
	// sessionRenewBefore is how long before its expiry a session is replaced.
	sessionRenewBefore = time.Hour
	// sessionRetryUnsupported is how long the client signs every request after a server said it
	// issues no sessions (an older server) before it asks again.
	sessionRetryUnsupported = 10 * time.Minute
	// sessionRetryFailed is the same after an attempt that failed otherwise (no answer, a refusal).
	sessionRetryFailed = 30 * time.Second
)

// sessionState is the client's current session. mu is held while a session is opened, so
// concurrent requests wait for one opening instead of each making its own.
type sessionState struct {
	mu      sync.Mutex
	id      string
	key     []byte
	expires time.Time
	retryAt time.Time // no attempt to open a session before this
}

// authenticate MACs req under the current session, opening one when there is none or it is about
// to expire; when no session can be had it signs req with the terminal key. It returns the session
// id used, or "" for a signature.
func (c *Client) authenticate(ctx context.Context, req *http.Request, body []byte) (string, error) {
	now := c.opt.Clock.Now()
	if c.opt.SignEveryRequest {
		return "", protocol.SignRequest(req, c.opt.TerminalID, c.opt.Key, now, body)
	}
	c.sess.mu.Lock()
	if c.sess.id == "" || !now.Before(c.sess.expires.Add(-sessionRenewBefore)) {
		c.openSessionLocked(ctx, now)
	}
	id, key := c.sess.id, c.sess.key
	c.sess.mu.Unlock()
	if id == "" {
		return "", protocol.SignRequest(req, c.opt.TerminalID, c.opt.Key, now, body)
	}
	return id, protocol.MACRequest(req, c.opt.TerminalID, id, key, now, body)
}

// openSessionLocked asks the server for a session; on failure it leaves the client without one
// until retryAt, so requests are signed meanwhile.
func (c *Client) openSessionLocked(ctx context.Context, now time.Time) {
	c.sess.id, c.sess.key = "", nil
	if now.Before(c.sess.retryAt) {
		return
	}
	resp, err := c.requestSession(ctx)
	if err != nil {
		wait := sessionRetryFailed
		if p := (*protocol.Problem)(nil); errors.As(err, &p) && (p.Status == http.StatusNotFound || p.Code == protocol.CodeSessionsUnsupported) {
			wait = sessionRetryUnsupported
		}
		c.sess.retryAt = now.Add(wait)
		c.opt.Logger.Info("no terminal session; signing each request", "err", err, "retry_in", wait)
		return
	}
	c.sess.id, c.sess.key, c.sess.expires = resp.id, resp.key, resp.expires
	c.opt.Logger.Debug("terminal session opened", "expires", resp.expires)
}

type openedSession struct {
	id      string
	key     []byte
	expires time.Time
}

// requestSession makes a fresh X25519 key, sends its public half signed with the terminal key and
// unwraps the session key from the answer.
func (c *Client) requestSession(ctx context.Context) (openedSession, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return openedSession{}, fmt.Errorf("client: session key: %w", err)
	}
	body, err := json.Marshal(protocol.TerminalSessionRequest{PublicKey: priv.PublicKey().Bytes()})
	if err != nil {
		return openedSession{}, fmt.Errorf("client: %w", err)
	}
	a, err := c.exchange(ctx, c.opt.Timeout, http.MethodPost, protocol.PathTerminalSession, body, authSignature)
	if err != nil {
		return openedSession{}, err
	}
	if a.status == http.StatusNotFound {
		return openedSession{}, &protocol.Problem{Status: a.status, Code: protocol.CodeSessionsUnsupported, Detail: "the server has no session endpoint"}
	}
	if a.status != http.StatusOK {
		return openedSession{}, problem(a)
	}
	resp, err := decode[protocol.TerminalSessionResponse](a)
	if err != nil {
		return openedSession{}, err
	}
	if err := protocol.CheckSession(resp.SessionID, c.opt.Clock.Now()); err != nil {
		return openedSession{}, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	key, err := protocol.OpenSessionKey(priv, c.opt.TerminalID, resp)
	if err != nil {
		return openedSession{}, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	return openedSession{id: resp.SessionID, key: key, expires: resp.Expires}, nil
}

// sessionRefused reports whether an answer refuses the request's session rather than the request:
// the session expired or its MAC does not verify (a server whose seal key changed derives another
// key). Then the client opens a new session and sends the request again, once.
func sessionRefused(a attempt) bool {
	if a.status != http.StatusUnauthorized {
		return false
	}
	p, err := protocol.ParseProblem(a.status, a.body)
	return err == nil && (p.Code == protocol.CodeSessionExpired || p.Code == protocol.CodeSessionMACInvalid)
}

// dropSession forgets the session id unless another request already replaced it.
func (c *Client) dropSession(id string) {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	if c.sess.id == id {
		c.sess.id, c.sess.key = "", nil
	}
}
