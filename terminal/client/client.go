package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Retry limits of Transaction and Void.
const (
	// MaxSendAttempts bounds how often one request is sent before the agent falls back.
	MaxSendAttempts = 3
	// retryPause is the pause before the second attempt; it doubles for each further one.
	retryPause = 100 * time.Millisecond
	// maxResponseBytes bounds what is read of any answer.
	maxResponseBytes = protocol.MaxBatchBodyBytes + 1<<20
)

// ErrUnreachable is wrapped by *UnreachableError: no answer came from the server.
var ErrUnreachable = errors.New("client: settlement server unreachable")

// ErrBadAnswer: the server answered something this client cannot use (not JSON, wrong id, a
// signature that does not verify). It is treated like no answer for the sale, and logged.
var ErrBadAnswer = errors.New("client: unusable answer from the server")

// UnreachableError reports that no answer came after Attempts tries.
type UnreachableError struct {
	Attempts int
	// MaybeSent is true when at least one attempt may have reached the server (the connection was
	// made), so the server may hold a result for the id.
	MaybeSent bool
	Err       error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("settlement server unreachable after %d attempt(s): %v", e.Attempts, e.Err)
}

func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// Options configures a Client.
type Options struct {
	BaseURL    string
	TerminalID string
	Key        ed25519.PrivateKey
	// Timeout bounds one attempt (default 3s).
	Timeout time.Duration
	Logger  *slog.Logger
	Clock   clock.Clock
	// HTTP is the transport; nil uses a dedicated client.
	HTTP *http.Client
	// TLS configures the dedicated client's TLS (tlsca.Config: a private CA); nil is Go's default.
	TLS *tls.Config
	// SignEveryRequest turns terminal sessions off: every request is signed with Key (Ed25519)
	// instead of MAC'd under a session key (docs/protocol.md, "Terminal sessions").
	SignEveryRequest bool
}

// Client talks to settlementd. It is safe for concurrent use.
type Client struct {
	opt  Options
	http *http.Client
	base string
	sess sessionState // session.go
}

// New returns a Client.
func New(opt Options) *Client {
	if opt.Timeout <= 0 {
		opt.Timeout = 3 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	opt.Clock = clock.Or(opt.Clock)
	hc := opt.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // a POS lane talks to its server directly
			DialContext:         (&net.Dialer{Timeout: opt.Timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			TLSClientConfig:     opt.TLS,
		}}
	}
	return &Client{opt: opt, http: hc, base: strings.TrimRight(opt.BaseURL, "/")}
}

// CloseIdleConnections closes the kept-alive connections to the server: a stopping agent calls it
// once nothing sends any more, so no connection (nor its goroutines) outlives the agent.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// attempt is the outcome of one HTTP exchange.
type attempt struct {
	status int
	body   []byte
	sent   bool   // the connection was made, so the server may have seen the request
	nonce  string // the signed request's nonce
	// session is the id of the session whose key MAC'd the request; empty when it was signed.
	session string
}

// do sends one request. signed adds the terminal signature.
func (c *Client) do(ctx context.Context, method, path string, body []byte, signed bool) (attempt, error) {
	return c.doWithin(ctx, c.opt.Timeout, method, path, body, signed)
}

// doWithin is do with its own bound on the exchange (a long poll is held longer than Timeout).
// A signed request carries the session MAC when the client has a session (session.go), else an
// Ed25519 signature; when the server refuses the session (expired, or a key it no longer derives),
// the client opens a new one and sends the request once more.
func (c *Client) doWithin(ctx context.Context, timeout time.Duration, method, path string, body []byte, signed bool) (attempt, error) {
	auth := authNone
	if signed {
		auth = authSession
	}
	a, err := c.exchange(ctx, timeout, method, path, body, auth)
	if err == nil && a.session != "" && sessionRefused(a) {
		c.dropSession(a.session)
		a, err = c.exchange(ctx, timeout, method, path, body, auth)
	}
	return a, err
}

// exchange sends one request, authenticated as auth says.
func (c *Client) exchange(ctx context.Context, timeout time.Duration, method, path string, body []byte, auth authMode) (attempt, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return attempt{}, fmt.Errorf("client: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	session := ""
	switch auth {
	case authSession:
		if session, err = c.authenticate(ctx, req, body); err != nil {
			return attempt{}, err
		}
	case authSignature:
		if err := protocol.SignRequest(req, c.opt.TerminalID, c.opt.Key, c.opt.Clock.Now(), body); err != nil {
			return attempt{}, err
		}
	}
	if auth != authNone {
		// This client verifies approvals proven in a group (protocol.VerifyApproval) and checks
		// their binding to the request (transactionLike): the server may sign them together.
		req.Header.Set(protocol.HeaderApprovalProof, protocol.ApprovalProofGroup)
	}
	nonce := req.Header.Get(protocol.HeaderNonce)
	resp, err := c.http.Do(req)
	if err != nil {
		return attempt{sent: !isDialError(err)}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return attempt{sent: true}, err
	}
	if len(data) > maxResponseBytes {
		return attempt{sent: true}, fmt.Errorf("%w: answer larger than %d bytes", ErrBadAnswer, maxResponseBytes)
	}
	return attempt{status: resp.StatusCode, body: data, sent: true, nonce: nonce, session: session}, nil
}

// isDialError reports whether err happened before any byte could reach the server.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryable reports whether an answer is not final: the server is starting, overloaded, or still
// working on the same id.
func retryable(a attempt) bool {
	if a.status >= 500 || a.status == http.StatusTooManyRequests {
		return true
	}
	if a.status == http.StatusConflict {
		p, err := protocol.ParseProblem(a.status, a.body)
		return err == nil && p.Code == protocol.CodeInProgress
	}
	return false
}

// send posts body to path up to attempts times until a final answer comes.
func (c *Client) send(ctx context.Context, path string, body []byte, attempts int) (attempt, error) {
	var last error
	maybeSent := false
	pause := retryPause
	for i := 1; i <= attempts; i++ {
		a, err := c.do(ctx, http.MethodPost, path, body, true)
		maybeSent = maybeSent || a.sent
		if err == nil && !retryable(a) {
			return a, nil
		}
		if err == nil {
			err = fmt.Errorf("HTTP %d", a.status)
		}
		last = err
		c.opt.Logger.Debug("request attempt failed", "path", path, "attempt", i, "err", err)
		if ctx.Err() != nil {
			break
		}
		if i < attempts {
			select {
			case <-time.After(pause):
			case <-ctx.Done():
			}
			pause *= 2
		}
	}
	return attempt{}, &UnreachableError{Attempts: attempts, MaybeSent: maybeSent, Err: last}
}

// problem decodes a non-2xx answer.
func problem(a attempt) error {
	p, err := protocol.ParseProblem(a.status, a.body)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	return p
}

func decode[T any](a attempt) (T, error) {
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		return v, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	return v, nil
}

// Transaction sends an online payment, retrying the same id up to MaxSendAttempts times. It returns
// the server's answer for approvals (200) and declines (402); a *protocol.Problem for refusals of the
// request itself; an *UnreachableError when no answer came.
func (c *Client) Transaction(ctx context.Context, req protocol.TransactionRequest) (protocol.TransactionResponse, error) {
	return c.transactionLike(ctx, protocol.PathTransactions, req, req.TerminalTxnID)
}

// Void cancels a transaction whether or not the server applied it, under the void's own id.
func (c *Client) Void(ctx context.Context, req protocol.VoidRequest) (protocol.TransactionResponse, error) {
	return c.transactionLike(ctx, protocol.PathVoids, req, req.TerminalTxnID)
}

// Refund returns part or all of an approved payment under the refund's own id.
func (c *Client) Refund(ctx context.Context, req protocol.RefundRequest) (protocol.TransactionResponse, error) {
	return c.transactionLike(ctx, protocol.PathRefunds, req, req.TerminalTxnID)
}

func (c *Client) transactionLike(ctx context.Context, path string, req any, id string) (protocol.TransactionResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return protocol.TransactionResponse{}, fmt.Errorf("client: %w", err)
	}
	a, err := c.send(ctx, path, body, MaxSendAttempts)
	if err != nil {
		return protocol.TransactionResponse{}, err
	}
	if a.status != http.StatusOK && a.status != http.StatusCreated && a.status != http.StatusPaymentRequired {
		return protocol.TransactionResponse{}, problem(a)
	}
	resp, err := decode[protocol.TransactionResponse](a)
	if err != nil {
		return resp, err
	}
	if resp.TerminalTxnID != id {
		return resp, fmt.Errorf("%w: answer for %q, asked about %q", ErrBadAnswer, resp.TerminalTxnID, id)
	}
	// An approval proven in a group names the terminal and the nonce of the request it answers: a
	// recorded answer to another request (or terminal) is refused here; its proof is verified by the
	// agent with the server keys (protocol.VerifyApproval).
	if resp.Approval != nil {
		if err := resp.Approval.CheckBinding(c.opt.TerminalID, a.nonce); err != nil {
			return resp, fmt.Errorf("%w: %w", ErrBadAnswer, err)
		}
	}
	return resp, nil
}

// Batch sends queued items once (the forwarder owns retries and backoff). The response has one
// result per item, in order, and answers this request: its signed nonce is the one this request
// was signed with, so a replayed answer of an earlier request is refused (ErrBadAnswer wrapping
// protocol.ErrBatchNonce). The forwarder verifies the answer's signature.
func (c *Client) Batch(ctx context.Context, req protocol.BatchRequest) (protocol.BatchResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return protocol.BatchResponse{}, fmt.Errorf("client: %w", err)
	}
	a, err := c.send(ctx, protocol.PathBatches, body, 1)
	if err != nil {
		return protocol.BatchResponse{}, err
	}
	if a.status != http.StatusOK {
		return protocol.BatchResponse{}, problem(a)
	}
	resp, err := decode[protocol.BatchResponse](a)
	if err != nil {
		return resp, err
	}
	if resp.Nonce != a.nonce {
		return resp, fmt.Errorf("%w: %w: answer signed for nonce %q, request sent with %q", ErrBadAnswer, protocol.ErrBatchNonce, resp.Nonce, a.nonce)
	}
	if len(resp.Results) != len(req.Items) {
		return resp, fmt.Errorf("%w: %d results for %d items", ErrBadAnswer, len(resp.Results), len(req.Items))
	}
	for i, r := range resp.Results {
		if r.TerminalTxnID != req.Items[i].TerminalTxnID {
			return resp, fmt.Errorf("%w: result %d is for %q, item is %q", ErrBadAnswer, i, r.TerminalTxnID, req.Items[i].TerminalTxnID)
		}
	}
	return resp, nil
}

// Enroll exchanges an enrollment code for the terminal's identity. It is not signed (the terminal
// has no identity yet) and is sent once: an enrollment code is single use.
func (c *Client) Enroll(ctx context.Context, req protocol.EnrollRequest) (protocol.EnrollResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return protocol.EnrollResponse{}, fmt.Errorf("client: %w", err)
	}
	a, err := c.do(ctx, http.MethodPost, protocol.PathEnroll, body, false)
	if err != nil {
		return protocol.EnrollResponse{}, &UnreachableError{Attempts: 1, MaybeSent: a.sent, Err: err}
	}
	if a.status != http.StatusOK && a.status != http.StatusCreated {
		return protocol.EnrollResponse{}, problem(a)
	}
	return decode[protocol.EnrollResponse](a)
}

func (c *Client) get(ctx context.Context, path string, signed bool) (attempt, error) {
	a, err := c.do(ctx, http.MethodGet, path, nil, signed)
	if err != nil {
		return a, &UnreachableError{Attempts: 1, MaybeSent: a.sent, Err: err}
	}
	if a.status != http.StatusOK {
		return a, problem(a)
	}
	return a, nil
}

// Health reports whether the server answers its health check.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.get(ctx, protocol.PathHealth, false)
	return err
}

// Time returns the server clock.
func (c *Client) Time(ctx context.Context) (time.Time, error) {
	a, err := c.get(ctx, protocol.PathTime, false)
	if err != nil {
		return time.Time{}, err
	}
	t, err := decode[protocol.TimeResponse](a)
	return t.Now, err
}

// Keys returns the server's public keys.
func (c *Client) Keys(ctx context.Context) ([]protocol.ServerKey, error) {
	a, err := c.get(ctx, protocol.PathServerKeys, false)
	if err != nil {
		return nil, err
	}
	// The server may wrap the list; accept both a bare array and {"keys": [...]}.
	var keys []protocol.ServerKey
	if json.Unmarshal(a.body, &keys) == nil {
		return keys, nil
	}
	var wrapped struct {
		Keys []protocol.ServerKey `json:"keys"`
	}
	if err := json.Unmarshal(a.body, &wrapped); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	return wrapped.Keys, nil
}
