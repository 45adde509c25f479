package wallet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Login authenticates userID with password at serverURL (POST /v1/sessions) and stores the session.
// The password is sent once and never stored.
func (w *Wallet) Login(ctx context.Context, serverURL, userID, password string) (Session, error) {
	base, err := normalizeServerURL(serverURL)
	if err != nil {
		return Session{}, err
	}
	if userID == "" || len(userID) > protocol.MaxIDLen {
		return Session{}, fmt.Errorf("%w: user id must have 1..%d characters", ErrInvalidRequest, protocol.MaxIDLen)
	}
	if password == "" {
		return Session{}, fmt.Errorf("%w: empty password", ErrInvalidRequest)
	}
	var resp protocol.SessionResponse
	req := protocol.SessionRequest{UserID: userID, Password: password}
	if err := w.post(ctx, base+protocol.PathSessions, "", req, &resp); err != nil {
		return Session{}, err
	}
	if resp.Token == "" || resp.UserID != userID {
		return Session{}, fmt.Errorf("%w: session for %q without a token or for another user", ErrBadResponse, resp.UserID)
	}
	s := Session{ServerURL: base, UserID: resp.UserID, Token: resp.Token, ExpiresAt: resp.ExpiresAt}
	if err := w.store.SaveSession(s); err != nil {
		return Session{}, err
	}
	w.log.Info("logged in", "server", base, "user", userID, "expires", resp.ExpiresAt)
	return s, nil
}

// AuthorizeOptions is what `wallet authorize` asks for.
type AuthorizeOptions struct {
	AccountID     string       // the funding account
	CapPerPayment money.Amount // the most one offline payment may be
	Codes         int          // how many offline codes
	TTL           time.Duration
}

func (o AuthorizeOptions) validate() error {
	switch {
	case o.AccountID == "" || len(o.AccountID) > protocol.MaxIDLen:
		return fmt.Errorf("%w: account id must have 1..%d characters", ErrInvalidRequest, protocol.MaxIDLen)
	case o.Codes < 1 || o.Codes > credential.MaxCodes:
		return fmt.Errorf("%w: codes must be 1..%d", ErrInvalidRequest, credential.MaxCodes)
	case o.TTL < time.Second:
		return fmt.Errorf("%w: ttl must be at least a second", ErrInvalidRequest)
	}
	if err := o.CapPerPayment.Validate(money.ParseOptions{}); err != nil {
		return fmt.Errorf("%w: cap: %w", ErrInvalidRequest, err)
	}
	return nil
}

// Authorize asks the server for a first approval (POST /v1/authorizations with the session's bearer
// token), checks it (the credential verifies with the server keys given, names this device and
// user, and the secret has the right size) and stores it, replacing any earlier one. It returns the
// new status.
func (w *Wallet) Authorize(ctx context.Context, opt AuthorizeOptions) (Status, error) {
	if err := opt.validate(); err != nil {
		return Status{}, err
	}
	sess, err := w.store.LoadSession()
	if err != nil {
		return Status{}, err
	}
	now := w.clock.Now()
	if !sess.ExpiresAt.IsZero() && !now.Before(sess.ExpiresAt) {
		return Status{}, ErrSessionExpired
	}
	key, err := w.store.DeviceKey()
	if err != nil {
		return Status{}, err
	}
	pub := key.Public().(ed25519.PublicKey)
	req := protocol.AuthorizationRequest{
		AccountID:       opt.AccountID,
		DevicePublicKey: pub,
		CapPerPayment:   opt.CapPerPayment,
		MaxCodes:        opt.Codes,
		TTLSeconds:      int64(opt.TTL / time.Second),
	}
	var resp protocol.AuthorizationResponse
	if err := w.post(ctx, sess.ServerURL+protocol.PathAuthorizations, sess.Token, req, &resp); err != nil {
		return Status{}, err
	}
	a, err := acceptAuthorization(resp, sess, opt.AccountID, pub, now)
	if err != nil {
		return Status{}, err
	}
	if err := w.store.SaveAuthorization(a); err != nil {
		return Status{}, err
	}
	w.log.Info("authorization stored", "authorization", a.AuthorizationID, "codes", a.MaxCodes,
		"cap", a.CapPerPayment.String(), "expires", a.ExpiresAt)
	return a.status(now), nil
}

// acceptAuthorization checks a first approval and turns it into stored state. The credential is the
// truth for limits: it is what terminals will enforce.
func acceptAuthorization(resp protocol.AuthorizationResponse, sess Session, accountID string, pub ed25519.PublicKey, now time.Time) (Authorization, error) {
	bad := func(format string, args ...any) (Authorization, error) {
		return Authorization{}, fmt.Errorf("%w: "+format, append([]any{ErrBadResponse}, args...)...)
	}
	if len(resp.Secret) != otp.SecretSize {
		return bad("secret has %d bytes, want %d", len(resp.Secret), otp.SecretSize)
	}
	cred, err := credential.Parse(resp.Credential)
	if err != nil {
		return bad("%v", err)
	}
	if err := cred.Verify(credential.KeySetFrom(resp.ServerKeys).Lookup, now); err != nil {
		return bad("%v", err)
	}
	switch {
	case !cred.DevicePublicKey.Equal(pub):
		return bad("credential names another device key")
	case cred.UserID != sess.UserID:
		return bad("credential is for user %q, logged in as %q", cred.UserID, sess.UserID)
	case cred.AuthorizationID != resp.AuthorizationID:
		return bad("credential is for authorization %q, answer says %q", cred.AuthorizationID, resp.AuthorizationID)
	}
	hold, err := cred.Hold()
	if err != nil {
		return bad("%v", err)
	}
	return Authorization{
		ServerURL:       sess.ServerURL,
		UserID:          cred.UserID,
		AccountID:       accountID,
		AuthorizationID: cred.AuthorizationID,
		Secret:          resp.Secret,
		Credential:      resp.Credential,
		CapPerPayment:   money.Amount{Minor: cred.CapPerPayment, Currency: cred.Currency},
		MaxCodes:        cred.MaxCodes,
		Hold:            hold,
		IssuedAt:        cred.IssuedAt,
		ExpiresAt:       cred.ExpiresAt,
		ServerKeys:      resp.ServerKeys,
	}, nil
}

// post sends body as JSON and decodes a 2xx answer into out. Any other answer becomes the server's
// *protocol.Problem, or ErrBadResponse when the body is not one.
func (w *Wallet) post(ctx context.Context, endpoint, token string, body, out any) error {
	return w.send(ctx, http.MethodPost, endpoint, token, body, out)
}

// send is post with any method; a nil body sends none.
func (w *Wallet) send(ctx context.Context, method, endpoint, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("wallet: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return w.do(req, out)
}

// do sends req and decodes a 2xx answer into out. Any other answer becomes the server's
// *protocol.Problem, or ErrBadResponse when the body is not one.
func (w *Wallet) do(req *http.Request, out any) error {
	req.Header.Set("Accept", "application/json, "+protocol.ContentTypeProblem)
	resp, err := w.http.Do(req)
	if err != nil {
		return fmt.Errorf("wallet: %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	// One more byte than allowed tells an oversized answer from one that is exactly at the limit.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxBodyBytes+1))
	if err != nil {
		return fmt.Errorf("wallet: read answer: %w", err)
	}
	if len(raw) > protocol.MaxBodyBytes {
		return fmt.Errorf("%w: answer over %d bytes", ErrBadResponse, protocol.MaxBodyBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return problemFrom(resp, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return nil
}

func problemFrom(resp *http.Response, raw []byte) error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == protocol.ContentTypeProblem || mt == "application/json" {
		if p, err := protocol.ParseProblem(resp.StatusCode, raw); err == nil {
			return p
		}
	}
	return fmt.Errorf("%w: HTTP %s", ErrBadResponse, resp.Status)
}

func normalizeServerURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %q (want http(s)://host[:port])", ErrServerURL, s)
	}
	return u.String(), nil
}
