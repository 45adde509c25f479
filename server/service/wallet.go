package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// dummyHash is checked against when the user does not exist, so that an unknown user costs the same
// time as a wrong password and user ids cannot be probed by timing.
var dummyHash, _ = hashPassword("not a real password")

// Login checks a wallet user's password and opens a session. source is the client's address
// (host or host:port; "" when unknown), whose failed logins are counted and limited apart from the
// user id's.
func (s *Service) Login(ctx context.Context, source string, req protocol.SessionRequest) (protocol.SessionResponse, error) {
	if err := checkID("user_id", req.UserID); err != nil {
		return protocol.SessionResponse{}, err
	}
	if len(req.Password) == 0 || len(req.Password) > MaxPasswordLen {
		return protocol.SessionResponse{}, invalidField("password", "password must be 1 to %d bytes", MaxPasswordLen)
	}
	if err := checkPasswordText("password", req.Password); err != nil {
		return protocol.SessionResponse{}, err
	}
	now := s.clock.Now()
	subject := store.Subject{Kind: store.SubjectLogin, ID: req.UserID}
	counted := []store.Subject{subject}
	if src, ok := sourceSubject(source); ok {
		sfails, err := s.store.CodeFailures(ctx, src, now.Add(-LoginLockout), now)
		if err != nil {
			return protocol.SessionResponse{}, fmt.Errorf("service: login throttle: %w", err)
		}
		if sfails.InWindow >= LoginFailuresPerSource {
			p := problem(http.StatusTooManyRequests, protocol.CodeThrottled,
				"%d failed logins from this address in the last %s; try again later", sfails.InWindow, LoginLockout)
			p.RetryAfterSeconds = int(LoginLockout.Seconds())
			return protocol.SessionResponse{}, p
		}
		counted = append(counted, src)
	}
	fails, err := s.store.CodeFailures(ctx, subject, now.Add(-LoginLockout), now)
	if err != nil {
		return protocol.SessionResponse{}, fmt.Errorf("service: login throttle: %w", err)
	}
	if fails.InWindow >= LoginFailuresToLock {
		p := problem(http.StatusTooManyRequests, protocol.CodeUserLocked,
			"%d failed logins in the last %s; try again later or ask the operator to unlock", fails.InWindow, LoginLockout)
		p.RetryAfterSeconds = int(LoginLockout.Seconds())
		return protocol.SessionResponse{}, p
	}
	u, err := s.store.GetUser(ctx, req.UserID)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, store.ErrNotFound):
		hash = dummyHash
	case err != nil:
		return protocol.SessionResponse{}, fmt.Errorf("service: login: %w", err)
	}
	release, err := s.gate.acquire(ctx)
	if err != nil {
		return protocol.SessionResponse{}, err
	}
	ok, err := checkPassword(hash, req.Password)
	release()
	if err != nil {
		return protocol.SessionResponse{}, fmt.Errorf("service: login %s: %w", req.UserID, err)
	}
	if !ok || u.ID == "" {
		// Unknown ids are counted too, so probing for ids costs the same as guessing passwords.
		if _, err := s.store.RecordCodeFailures(ctx, counted, now, now.Add(-LoginLockout)); err != nil {
			return protocol.SessionResponse{}, fmt.Errorf("service: login throttle: %w", err)
		}
		// Who and from where, never the password.
		s.log.Warn("login failed", "user_id", req.UserID, "known_user", u.ID != "", "source", source, "failures_in_window", fails.InWindow+1)
		return protocol.SessionResponse{}, problem(http.StatusUnauthorized, protocol.CodeBadCredentials, "unknown user or wrong password")
	}
	if fails.InWindow > 0 {
		if err := s.store.ClearCodeFailures(ctx, subject); err != nil {
			return protocol.SessionResponse{}, fmt.Errorf("service: login throttle: %w", err)
		}
	}
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return protocol.SessionResponse{}, fmt.Errorf("service: session token: %w", err)
	}
	sess := store.Session{TokenHash: tokenHash(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.policy.SessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return protocol.SessionResponse{}, fmt.Errorf("service: login: %w", err)
	}
	return protocol.SessionResponse{
		Token:     base64.RawURLEncoding.EncodeToString(token),
		UserID:    u.ID,
		ExpiresAt: sess.ExpiresAt.UTC(),
	}, nil
}

func tokenHash(token []byte) []byte {
	sum := sha256.Sum256(token)
	return sum[:]
}

// maxTokenChars bounds a bearer token before it is decoded: ours are 43 characters.
const maxTokenChars = 128

// session finds the session of a bearer token.
func (s *Service) session(ctx context.Context, bearer string) (store.Session, error) {
	unauth := problem(http.StatusUnauthorized, protocol.CodeUnauthenticated, "log in again: the session token is missing, unknown or expired")
	if bearer == "" || len(bearer) > maxTokenChars {
		return store.Session{}, unauth
	}
	raw, err := base64.RawURLEncoding.DecodeString(bearer)
	if err != nil {
		return store.Session{}, unauth
	}
	sess, err := s.store.GetSession(ctx, tokenHash(raw), s.clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, unauth
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("service: session: %w", err)
	}
	return sess, nil
}

// Authorize is the first approval: it places a hold of CapPerPayment × MaxCodes on the account and
// answers the OTP secret and the signed credential.
func (s *Service) Authorize(ctx context.Context, bearer string, req protocol.AuthorizationRequest) (protocol.AuthorizationResponse, error) {
	sess, err := s.session(ctx, bearer)
	if err != nil {
		return protocol.AuthorizationResponse{}, err
	}
	if err := checkID("account_id", req.AccountID); err != nil {
		return protocol.AuthorizationResponse{}, err
	}
	if len(req.DevicePublicKey) != ed25519.PublicKeySize {
		return protocol.AuthorizationResponse{}, invalidField("device_public_key", "device_public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize)
	}
	if err := checkAmount("cap_per_payment", req.CapPerPayment); err != nil {
		return protocol.AuthorizationResponse{}, err
	}
	pol := s.policy
	if req.CapPerPayment.Minor > pol.MaxCapPerPayment {
		return protocol.AuthorizationResponse{}, problem(http.StatusUnprocessableEntity, protocol.CodeLimitsNotAllowed,
			"cap_per_payment may be at most %d minor units", pol.MaxCapPerPayment)
	}
	if req.MaxCodes < 1 || req.MaxCodes > pol.MaxCodes {
		return protocol.AuthorizationResponse{}, problem(http.StatusUnprocessableEntity, protocol.CodeLimitsNotAllowed,
			"max_codes must be 1 to %d", pol.MaxCodes)
	}
	ttl := pol.DefaultAuthTTL
	if req.TTLSeconds < 0 {
		return protocol.AuthorizationResponse{}, invalidField("ttl_seconds", "ttl_seconds must not be negative")
	}
	if req.TTLSeconds > 0 {
		ttl = min(time.Duration(min(req.TTLSeconds, 1<<32))*time.Second, pol.MaxAuthTTL)
	}
	acct, err := s.store.GetAccount(ctx, req.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (acct.Kind != store.AccountCustomer || acct.OwnerID != sess.UserID)) {
		// One answer for "no such account" and "someone else's": ids are not to be probed.
		return protocol.AuthorizationResponse{}, problem(http.StatusNotFound, protocol.CodeAccountNotFound, "no account %q for this user", truncate(req.AccountID))
	}
	if err != nil {
		return protocol.AuthorizationResponse{}, fmt.Errorf("service: authorize: %w", err)
	}
	if acct.Currency != req.CapPerPayment.Currency {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "the account is in %s, the cap in %s", acct.Currency, req.CapPerPayment.Currency)
		p.Field = "cap_per_payment.currency"
		return protocol.AuthorizationResponse{}, p
	}

	secret, err := otp.NewSecret()
	if err != nil {
		return protocol.AuthorizationResponse{}, err
	}
	sealed, err := s.sealer.Seal(secret)
	if err != nil {
		return protocol.AuthorizationResponse{}, err
	}
	id, err := newID("au_", 12)
	if err != nil {
		return protocol.AuthorizationResponse{}, err
	}
	now := s.clock.Now().UTC().Truncate(time.Second)
	keyID, key := s.keys.Current()
	cred, err := credential.Sign(credential.Credential{
		UserID:          sess.UserID,
		AuthorizationID: id,
		DevicePublicKey: ed25519.PublicKey(req.DevicePublicKey),
		Currency:        acct.Currency,
		CapPerPayment:   req.CapPerPayment.Minor,
		MaxCodes:        uint32(req.MaxCodes),
		IssuedAt:        now,
		ExpiresAt:       now.Add(ttl),
	}, keyID, key)
	if err != nil {
		return protocol.AuthorizationResponse{}, fmt.Errorf("service: sign credential: %w", err)
	}
	credBytes := cred.Marshal()
	a, err := s.store.CreateAuthorization(ctx, store.Authorization{
		ID:              id,
		UserID:          sess.UserID,
		AccountID:       acct.ID,
		Currency:        acct.Currency,
		CapPerPayment:   req.CapPerPayment.Minor,
		MaxCodes:        req.MaxCodes,
		DevicePublicKey: req.DevicePublicKey,
		SealedSecret:    sealed,
		Credential:      credBytes,
		KeyID:           keyID,
		CreatedAt:       now,
		ExpiresAt:       cred.ExpiresAt,
	})
	if errors.Is(err, store.ErrInsufficientFunds) {
		return protocol.AuthorizationResponse{}, s.holdShort(ctx, acct.ID, acct.Currency, req.CapPerPayment.Minor, req.MaxCodes)
	}
	if err != nil {
		return protocol.AuthorizationResponse{}, storeProblem(err, "authorization")
	}
	s.log.Info("first approval", "authorization_id", a.ID, "user_id", a.UserID, "hold_minor", a.HoldMinor,
		"currency", a.Currency, "max_codes", a.MaxCodes, "expires_at", a.ExpiresAt)
	return protocol.AuthorizationResponse{
		AuthorizationID: a.ID,
		UserID:          a.UserID,
		Secret:          secret,
		Credential:      credBytes,
		CapPerPayment:   money.Amount{Minor: a.CapPerPayment, Currency: a.Currency},
		MaxCodes:        a.MaxCodes,
		Hold:            money.Amount{Minor: a.HoldMinor, Currency: a.Currency},
		ExpiresAt:       a.ExpiresAt.UTC(),
		ServerKeys:      s.keys.Public(),
	}, nil
}

// newID returns prefix followed by n random bytes in hex.
func newID(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("service: random id: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}

// sourceSubject is the failed-login counter of a client address: the address itself for IPv4, its
// /64 for IPv6 (one subscriber's share), so that a host cannot escape the count by changing the low
// bits. An address that does not parse is not counted (ok false), and neither is a loopback one: on
// this host it is a reverse proxy speaking for every client, and counting it would let one guesser
// throttle everyone's logins (the proxy rate-limits by the real address).
func sourceSubject(source string) (store.Subject, bool) {
	host, _, err := net.SplitHostPort(source)
	if err != nil {
		host = source
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return store.Subject{}, false
	}
	a = a.Unmap().WithZone("")
	if a.IsLoopback() {
		return store.Subject{}, false
	}
	if a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return store.Subject{Kind: store.SubjectSource, ID: a.String()}, true
}

// holdShort is the insufficient_funds answer of an authorization: the hold it needs (cap × codes)
// and the balance it found, so that the customer can ask for fewer codes or a lower cap.
func (s *Service) holdShort(ctx context.Context, accountID, currency string, capMinor int64, codes int) error {
	hold := money.Amount{Minor: capMinor * int64(codes), Currency: currency}
	capAmt := money.Amount{Minor: capMinor, Currency: currency}
	found := "less"
	if a, err := s.store.GetAccount(ctx, accountID); err == nil {
		found = money.Amount{Minor: a.Balance, Currency: currency}.String()
	}
	return problem(http.StatusPaymentRequired, protocol.CodeInsufficientFunds,
		"the authorization needs a hold of %s (%d codes × %s) but the account's balance is %s; ask for fewer codes or a lower cap",
		hold, codes, capAmt, found)
}
