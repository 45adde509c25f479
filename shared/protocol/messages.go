package protocol

import (
	"encoding/json"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

// API paths, all under /v1.
const (
	PathHealth          = "/healthz"
	PathReady           = "/readyz"
	PathMetrics         = "/metrics"
	PathSessions        = "/v1/sessions"       // POST: wallet login
	PathAuthorizations  = "/v1/authorizations" // POST: first approval
	PathEnroll          = "/v1/terminals/enroll"
	PathTerminalConfig  = "/v1/terminals/self"    // GET (signed): identity check, current keys and limits
	PathTerminalSession = "/v1/terminals/session" // POST (Ed25519-signed): a session key for MAC'd requests
	PathTransactions    = "/v1/transactions"      // POST (signed): second approval, online
	PathBatches         = "/v1/batches"           // POST (signed): queued requests
	PathVoids           = "/v1/voids"             // POST (signed)
	PathRefunds         = "/v1/refunds"           // POST (signed)
	PathServerKeys      = "/v1/keys"              // GET: the server's public keys
	PathTime            = "/v1/time"              // GET: server clock, for skew checks
	PathAdminPrefix     = "/v1/admin/"            // operator API, bearer token
)

// ServerKey is one of the server's Ed25519 public keys. Old keys stay listed after a rotation so that
// credentials and approvals they signed still verify. A key made by a rotation carries an endorsement
// by the key that was current before it (see EndorseKey), so a terminal can follow the rotation
// without trusting the link it learns the new key over.
type ServerKey struct {
	KeyID       string    `json:"key_id"`
	PublicKey   []byte    `json:"public_key"` // 32 bytes, base64 in JSON
	Created     time.Time `json:"created"`
	Current     bool      `json:"current"`
	EndorsedBy  string    `json:"endorsed_by,omitempty"` // key id of the endorsing key
	Endorsement []byte    `json:"endorsement,omitempty"` // 64 bytes Ed25519, base64 in JSON
}

// --- wallet ---

// SessionRequest is a wallet login.
type SessionRequest struct {
	UserID   string `json:"user_id"`
	Password string `json:"password"`
}

// SessionResponse carries a bearer token for the authorization call.
type SessionResponse struct {
	Token     string    `json:"token"`
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AuthorizationRequest asks for a first approval (an offline credential). It is sent with the session
// token as "Authorization: Bearer ...".
type AuthorizationRequest struct {
	AccountID       string       `json:"account_id"`        // the funding account to pay from
	DevicePublicKey []byte       `json:"device_public_key"` // the wallet's Ed25519 key, 32 bytes
	CapPerPayment   money.Amount `json:"cap_per_payment"`
	MaxCodes        int          `json:"max_codes"`   // offline codes allowed
	TTLSeconds      int64        `json:"ttl_seconds"` // wanted lifetime; the server may shorten it
}

// AuthorizationResponse is the first approval. Secret is shown once; the wallet stores it 0600.
type AuthorizationResponse struct {
	AuthorizationID string       `json:"authorization_id"`
	UserID          string       `json:"user_id"`
	Secret          []byte       `json:"secret"`     // 32 bytes: the per-authorization OTP key
	Credential      []byte       `json:"credential"` // shared/credential binary encoding, server-signed
	CapPerPayment   money.Amount `json:"cap_per_payment"`
	MaxCodes        int          `json:"max_codes"`
	Hold            money.Amount `json:"hold"` // CapPerPayment * MaxCodes, held on the account
	ExpiresAt       time.Time    `json:"expires_at"`
	ServerKeys      []ServerKey  `json:"server_keys"`
}

// --- terminal ---

// TerminalLimits are the offline limits a terminal applies; the server sets them at enrollment.
type TerminalLimits struct {
	Currency          string `json:"currency"`
	FloorLimitMinor   int64  `json:"floor_limit_minor"`    // largest single offline approval
	OfflineMaxCount   int    `json:"offline_max_count"`    // offline approvals pending at once
	OfflineMaxMinor   int64  `json:"offline_max_minor"`    // their total
	OfflineMaxAgeSecs int64  `json:"offline_max_age_secs"` // oldest pending offline approval
}

// EnrollRequest exchanges a one-time enrollment code and the terminal's public key for its identity.
type EnrollRequest struct {
	EnrollCode string `json:"enroll_code"`
	PublicKey  []byte `json:"public_key"` // Ed25519, 32 bytes
	Hostname   string `json:"hostname,omitempty"`
	Version    string `json:"version,omitempty"`
}

// EnrollResponse is the terminal's identity and configuration.
type EnrollResponse struct {
	TerminalID    string         `json:"terminal_id"`
	MerchantID    string         `json:"merchant_id"`
	MerchantName  string         `json:"merchant_name"`
	ReceiptHeader []string       `json:"receipt_header"` // lines printed at the top of every receipt
	Limits        TerminalLimits `json:"limits"`
	ServerKeys    []ServerKey    `json:"server_keys"`
	ServerTime    time.Time      `json:"server_time"`
	// SeqFloor is set when a box enrolls for a terminal that had one before (a box replaced): the
	// new box numbers its transactions above it, so that its ids never repeat the old box's.
	SeqFloor uint64 `json:"seq_floor,omitempty"`
}

// ReplacedBoxSeqMargin is how far above the last transaction the server has seen from a terminal
// a replacement box starts numbering: room for the old box's sales not yet forwarded.
const ReplacedBoxSeqMargin = 1_000_000

// TransactionRequest is an online payment (second approval). TerminalTxnID is the idempotency key
// within the terminal: the terminal id plus a monotonic sequence, e.g. "T-0001-000000042".
type TransactionRequest struct {
	TerminalTxnID string       `json:"terminal_txn_id"`
	Amount        money.Amount `json:"amount"`
	Payload       string       `json:"payload"`             // the scanned QR text
	Reference     string       `json:"reference,omitempty"` // the register's reference
	// Gross is the sale before an offer's discount, in minor units of Amount's currency, sent when the
	// payload carries an offer token the terminal applied: Amount is then Gross less the discount
	// (docs/offers.md, "Redemption"). 0 (absent): no offer applied.
	Gross int64 `json:"gross,omitempty"`
}

// Approval is what the server signs when it approves a payment. Its JSON bytes are carried verbatim
// in SignedApproval.Approval so that the signature is checked over exactly what was signed.
type Approval struct {
	ApprovalID      string       `json:"approval_id"`
	ApprovalCode    string       `json:"approval_code"` // 6 characters, printed on the receipt
	TerminalID      string       `json:"terminal_id"`
	TerminalTxnID   string       `json:"terminal_txn_id"`
	MerchantID      string       `json:"merchant_id"`
	Amount          money.Amount `json:"amount"`
	MaskedCustomer  string       `json:"masked_customer"` // payload.Mask of the user id, e.g. "a***e": never account data
	AuthorizationID string       `json:"authorization_id"`
	Offline         bool         `json:"offline"` // approved by the terminal offline, settled from the hold
	ApprovedAt      time.Time    `json:"approved_at"`
	SettledAt       time.Time    `json:"settled_at"`
}

// SignedApproval is the second approval: Signature is Ed25519 by server key KeyID over
// ApprovalSigningContext || Approval (the raw JSON bytes). An approval signed in a group (the answer
// to a terminal that announced HeaderApprovalProof) has no Signature but a Group proof: KeyID's
// signature over the group's Merkle head and this approval's audit path (ApprovalGroupProof).
type SignedApproval struct {
	Approval  json.RawMessage     `json:"approval"`
	KeyID     string              `json:"key_id"`
	Signature []byte              `json:"signature"`
	Group     *ApprovalGroupProof `json:"group,omitempty"`
}

// ApprovalSigningContext separates approval signatures from every other signature in the system.
const ApprovalSigningContext = "stillpay-approval-v1\x00"

// TransactionResponse is the answer to a TransactionRequest, a batch item, a void or a refund.
// Status is "approved" (Approval set) or "declined" (Code and Message set). For single requests a
// decline is sent with HTTP 402 and this body; it is a final answer replayed for the same key.
type TransactionResponse struct {
	TerminalTxnID string          `json:"terminal_txn_id"`
	Status        string          `json:"status"`
	Approval      *SignedApproval `json:"approval,omitempty"`
	Code          Code            `json:"code,omitempty"`
	Message       string          `json:"message,omitempty"`
}

// Transaction statuses.
const (
	StatusApproved = "approved"
	StatusDeclined = "declined"
	StatusVoided   = "voided"
	StatusRefunded = "refunded"
)

// Batch item kinds.
const (
	KindOnline  = "online"  // an ordinary payment queued because the answer never came
	KindOffline = "offline" // approved by the terminal offline against a credential
	KindVoid    = "void"
	KindRefund  = "refund"
)

// BatchItem is one queued terminal request.
type BatchItem struct {
	Kind          string       `json:"kind"`
	TerminalTxnID string       `json:"terminal_txn_id"`
	Amount        money.Amount `json:"amount"`
	Payload       string       `json:"payload,omitempty"`       // online and offline
	ApprovedAt    time.Time    `json:"approved_at,omitempty"`   // offline: the terminal clock at approval
	TargetTxnID   string       `json:"target_txn_id,omitempty"` // void and refund
	Reference     string       `json:"reference,omitempty"`
	Gross         int64        `json:"gross,omitempty"` // online and offline: as TransactionRequest.Gross
}

// BatchRequest carries up to MaxBatchItems items, processed in order, each idempotently.
type BatchRequest struct {
	BatchID string      `json:"batch_id"` // informational; idempotency is per item
	Items   []BatchItem `json:"items"`
}

// BatchResponse has one result per item, in the same order. Approved items carry their approval
// unsigned (SignedApproval without a signature): the one Signature covers every result and the
// request's Nonce (SignBatch, VerifyBatch; docs/protocol.md, "Batch answers").
type BatchResponse struct {
	BatchID   string                `json:"batch_id"`
	Results   []TransactionResponse `json:"results"`
	Nonce     string                `json:"nonce,omitempty"`
	Signature *BatchSignature       `json:"signature,omitempty"`
}

// VoidRequest cancels TargetTxnID whether or not the server ever applied it. It is safe to send for
// a request whose answer never came: if the target was not applied, it never will be.
type VoidRequest struct {
	TerminalTxnID string `json:"terminal_txn_id"` // the void's own idempotency key
	TargetTxnID   string `json:"target_txn_id"`
}

// RefundRequest returns part or all of an approved payment to the customer.
type RefundRequest struct {
	TerminalTxnID string       `json:"terminal_txn_id"`
	TargetTxnID   string       `json:"target_txn_id"`
	Amount        money.Amount `json:"amount"`
}

// TimeResponse is the server clock.
type TimeResponse struct {
	Now time.Time `json:"now"`
}
