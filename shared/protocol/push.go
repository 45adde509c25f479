package protocol

import (
	"bytes"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Web Push paths of the web wallet (docs/api.md, "Web Push"). Wallet session required.
const (
	PathPushKey           = "/v1/push/key"                  // GET: the server's VAPID public key
	PathPushSubscriptions = "/v1/push/subscriptions"        // POST: register a browser's subscription
	PathPushUnsubscribe   = "/v1/push/subscriptions/delete" // POST {"endpoint"}: forget it
)

// Web Push bounds.
const (
	MaxPushBody        = 4 << 10 // a subscription's JSON
	MaxPushEndpointLen = 1024    // bytes of the endpoint URL (store.MaxPushEndpointLen is the same)
	PushP256dhLen      = 65      // an uncompressed P-256 point (RFC 8291 section 3.1)
	PushAuthLen        = 16      // the authentication secret (RFC 8291 section 3.2)
)

// CodePushUnavailable answers the push routes of a server that sends no Web Push (no VAPID key).
const CodePushUnavailable Code = "push_unavailable" // 404

// ErrMalformedPush is returned for a subscription body that is not one JSON object of the expected
// shape; bad values inside a well-formed body are *FieldError (ErrInvalidField).
var ErrMalformedPush = errors.New("malformed push subscription")

// PushKey is the answer of GET /v1/push/key: the VAPID public key (RFC 8292), an uncompressed P-256
// point in unpadded base64url, what PushManager.subscribe takes as applicationServerKey.
type PushKey struct {
	VAPIDPublicKey string `json:"vapid_public_key"`
}

// PushSubscriptionJSON is what a browser's PushSubscription.toJSON() gives, as the wallet posts it.
type PushSubscriptionJSON struct {
	Endpoint       string          `json:"endpoint"`
	ExpirationTime json.RawMessage `json:"expirationTime,omitempty"` // null or a time; not used
	Keys           PushKeysJSON    `json:"keys"`
}

// PushKeysJSON are the subscription's message-encryption keys, base64url.
type PushKeysJSON struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// PushUnsubscribe is the body of POST /v1/push/subscriptions/delete.
type PushUnsubscribe struct {
	Endpoint string `json:"endpoint"`
}

// PushSubscription is a checked subscription with its keys decoded.
type PushSubscription struct {
	Endpoint string
	P256dh   []byte // a valid P-256 point, uncompressed
	Auth     []byte
}

// ParsePushSubscription decodes and checks a subscription body: one JSON object, no unknown fields,
// an https endpoint of at most MaxPushEndpointLen bytes whose host is a name or a public address
// (the server POSTs to it: a loopback, private or link-local address is refused, so a wallet cannot
// aim settlementd at its own network), a p256dh that is a point of P-256 and a 16-byte auth secret.
// loopback allows http://127.0.0.1, ::1 and localhost endpoints as well (tests' local push receivers).
func ParsePushSubscription(body []byte, loopback bool) (PushSubscription, error) {
	var in PushSubscriptionJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return PushSubscription{}, fmt.Errorf("%w: %w", ErrMalformedPush, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return PushSubscription{}, fmt.Errorf("%w: trailing data", ErrMalformedPush)
	}
	if err := CheckPushEndpoint(in.Endpoint, loopback); err != nil {
		return PushSubscription{}, err
	}
	p256, err := pushKey("keys.p256dh", in.Keys.P256dh, PushP256dhLen)
	if err != nil {
		return PushSubscription{}, err
	}
	if _, err := ecdh.P256().NewPublicKey(p256); err != nil {
		return PushSubscription{}, fieldErr("keys.p256dh", "is not a point of P-256")
	}
	auth, err := pushKey("keys.auth", in.Keys.Auth, PushAuthLen)
	if err != nil {
		return PushSubscription{}, err
	}
	return PushSubscription{Endpoint: in.Endpoint, P256dh: p256, Auth: auth}, nil
}

// pushKey decodes base64url (padded or not) of exactly n bytes.
func pushKey(field, s string, n int) ([]byte, error) {
	if len(s) > 2*n {
		return nil, fieldErr(field, "is %d characters, want the base64url of %d bytes", len(s), n)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) != n {
		return nil, fieldErr(field, "is not the base64url of %d bytes", n)
	}
	return b, nil
}

// CheckPushEndpoint checks an endpoint URL as ParsePushSubscription does.
func CheckPushEndpoint(endpoint string, loopback bool) error {
	const field = "endpoint"
	if endpoint == "" || len(endpoint) > MaxPushEndpointLen || !utf8.ValidString(endpoint) {
		return fieldErr(field, "is required: an https URL of at most %d bytes", MaxPushEndpointLen)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Opaque != "" || u.User != nil || u.Fragment != "" || u.Host == "" {
		return fieldErr(field, "is not an absolute https URL without user info or fragment")
	}
	host := u.Hostname()
	local := host == "localhost" || strings.HasSuffix(host, ".localhost")
	ip := net.ParseIP(host)
	if ip != nil {
		local = ip.IsLoopback()
	}
	switch {
	case loopback && local && (u.Scheme == "http" || u.Scheme == "https"):
		return nil
	case u.Scheme != "https":
		return fieldErr(field, "must be an https URL")
	case local || ip != nil && (ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() || !ip.IsGlobalUnicast()):
		return fieldErr(field, "names a local or private address")
	}
	return nil
}
