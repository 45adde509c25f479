package protocol

import (
	"errors"
	"fmt"
)

// ContentTypeProblem is the media type of error bodies (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// Code is a stable, machine-readable error or decline code. Clients switch on it; the text in
// Problem.Detail is for people and may change.
type Code string

// Request errors: the request itself is wrong and retrying it unchanged will not help.
const (
	CodeMalformedJSON        Code = "malformed_json"
	CodeUnknownField         Code = "unknown_field"
	CodeBodyTooLarge         Code = "body_too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type" // 415: a body that is not application/json (posagent's local API)
	CodeInvalidAmount        Code = "invalid_amount"
	CodeInvalidCurrency      Code = "invalid_currency"
	CodeInvalidField         Code = "invalid_field"
	CodeBatchTooLarge        Code = "batch_too_large"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeIdempotencyReused    Code = "idempotency_key_reused" // same key, different body (409)
	CodeAlreadyExists        Code = "already_exists"         // an id that is taken (409, admin API)
	CodeInProgress           Code = "request_in_progress"    // same key still being processed (409)
	CodeInternal             Code = "internal"
	CodeUnavailable          Code = "unavailable"
)

// Authentication errors for terminals, users and operators.
const (
	CodeUnauthenticated  Code = "unauthenticated"
	CodeBadCredentials   Code = "bad_credentials"
	CodeSignatureMissing Code = "signature_missing"
	CodeSignatureInvalid Code = "signature_invalid"
	CodeRequestStale     Code = "request_stale"
	CodeNonceReplayed    Code = "nonce_replayed"
	// CodeSessionExpired (401): a MAC'd request names a session that is malformed or past its
	// expiry; the terminal opens a new session (PathTerminalSession) and sends the request again.
	CodeSessionExpired Code = "session_expired"
	// CodeSessionMACInvalid (401): the request's MAC does not verify under its session's key (forged,
	// another terminal's session, or a server whose seal key changed); the terminal opens a new
	// session once and sends the request again.
	CodeSessionMACInvalid Code = "session_mac_invalid"
	// CodeSessionsUnsupported (501): the server cannot issue session keys; sign requests with Ed25519.
	CodeSessionsUnsupported  Code = "sessions_unsupported"
	CodeTerminalUnknown      Code = "terminal_unknown"
	CodeTerminalRevoked      Code = "terminal_revoked"
	CodeEnrollCodeInvalid    Code = "enroll_code_invalid"
	CodeEnrollCodeUsed       Code = "enroll_code_used"
	CodeForbidden            Code = "forbidden"
	CodeTLSRequired          Code = "tls_required" // a password over plain HTTP from another host (403)
	CodeThrottled            Code = "throttled"
	CodeUserLocked           Code = "user_locked"
	CodeAccountNotFound      Code = "account_not_found"
	CodeLimitsNotAllowed     Code = "limits_not_allowed"
	CodeAuthorizationUnknown Code = "authorization_unknown"
)

// Declines: the request was well formed and authenticated, and the payment is refused. A decline is a
// final answer for its idempotency key and is replayed byte-identically.
const (
	CodePayloadMalformed     Code = "payload_malformed"
	CodePayloadChecksum      Code = "payload_checksum"
	CodePayloadVersion       Code = "payload_version"
	CodeDeviceSignature      Code = "device_signature_invalid"
	CodePayloadMAC           Code = "payload_mac_invalid" // the server's check of a version-2 payload's MAC
	CodeCredentialInvalid    Code = "credential_invalid"
	CodeCredentialExpired    Code = "credential_expired"
	CodeCredentialRevoked    Code = "credential_revoked"
	CodeCodeInvalid          Code = "code_invalid"
	CodeCodeUsed             Code = "code_used"
	CodeCodeExpired          Code = "code_expired"
	CodeUnknownUser          Code = "unknown_user"
	CodeCurrencyMismatch     Code = "currency_mismatch"
	CodeOverCap              Code = "over_cap_per_payment"
	CodeOfflineCountExceeded Code = "offline_count_exceeded"
	CodeInsufficientFunds    Code = "insufficient_funds"
	CodeOverFloorLimit       Code = "over_floor_limit"
	CodeOfflineLimit         Code = "offline_limit_reached"
	CodeTransactionUnknown   Code = "transaction_unknown"
	CodeRefundExceeds        Code = "refund_exceeds_payment"
	CodeAlreadyVoided        Code = "already_voided"
)

// CodeConfirmationRequired declines an online payment over the credential's cap per payment (a decline,
// final for its key). The code was not used: a shown code proves the phone made it, not that the
// customer agreed to the amount, so a larger amount needs a merchant-presented order that the customer
// confirms in the wallet (flow 2, POST /v1/orders).
const CodeConfirmationRequired Code = "confirmation_required"

// Problem is the body of every non-2xx answer.
type Problem struct {
	Type   string `json:"type,omitempty"` // "about:blank" or a URI naming the code
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   Code   `json:"code"`
	Detail string `json:"detail,omitempty"`
	// Field names the offending request field, when there is one.
	Field string `json:"field,omitempty"`
	// RetryAfterSeconds is set on throttling answers.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

// Error makes *Problem an error, so clients can return it and callers can errors.As it.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%s (%d %s): %s", p.Code, p.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%s (%d %s)", p.Code, p.Status, p.Title)
}

// Is lets errors.Is(err, &Problem{Code: X}) match any problem with code X.
func (p *Problem) Is(target error) bool {
	var t *Problem
	if errors.As(target, &t) {
		return t.Code == p.Code
	}
	return false
}

// ProblemCode returns the code of a *Problem in err's chain, or "".
func ProblemCode(err error) Code {
	var p *Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}
