package admin

import (
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Admin API paths, under protocol.PathAdminPrefix.
const (
	PathMerchants = "/v1/admin/merchants" // POST create, GET list
	PathTerminals = "/v1/admin/terminals" // POST create (answers the enrollment code), GET list
	PathUsers     = "/v1/admin/users"     // POST create, GET list
	// PathTerminalEnrollCode issues a new one-time enrollment code for an existing terminal (POST).
	PathTerminalEnrollCode = "/v1/admin/terminals/{id}/enroll-code"
	PathAccounts           = "/v1/admin/accounts"       // POST create with opening balance, GET balances
	PathTransactions       = "/v1/admin/transactions"   // GET
	PathAuthorizations     = "/v1/admin/authorizations" // GET
	PathRevocations        = "/v1/admin/revocations"    // POST
	PathCheck              = "/v1/admin/check"          // POST
	PathRotateKey          = "/v1/admin/keys/rotate"    // POST
	PathBackup             = "/v1/admin/backup"         // GET: a tar of the embedded store and its key files
	PathImports            = "/v1/admin/imports"        // POST an export file (protocol.Export)
	PathUnlock             = "/v1/admin/unlock"         // POST: clear a user's or terminal's code failures
)

// MerchantRequest adds a merchant and its settlement account.
type MerchantRequest struct {
	MerchantID    string   `json:"merchant_id"`
	Name          string   `json:"name"`
	Currency      string   `json:"currency"`
	ReceiptHeader []string `json:"receipt_header,omitempty"`
	MCC           string   `json:"mcc,omitempty"` // ISO 18245 merchant category (four digits); offers may screen on it
}

// TerminalRequest adds a terminal; Limits zero values take the server's defaults.
type TerminalRequest struct {
	TerminalID string                   `json:"terminal_id"`
	MerchantID string                   `json:"merchant_id"`
	Name       string                   `json:"name,omitempty"`
	Limits     *protocol.TerminalLimits `json:"limits,omitempty"`
}

// TerminalCreated carries the one-time enrollment code; it is shown once and stored only hashed.
type TerminalCreated struct {
	TerminalID      string    `json:"terminal_id"`
	MerchantID      string    `json:"merchant_id"`
	EnrollCode      string    `json:"enroll_code"`
	EnrollExpiresAt time.Time `json:"enroll_expires_at"`
}

// UserRequest adds a wallet user; the server hashes the password with argon2id.
type UserRequest struct {
	UserID   string `json:"user_id"`
	Name     string `json:"name,omitempty"`
	Password string `json:"password"`
}

// User is a user as the admin API shows it: never the password hash.
type User struct {
	UserID    string    `json:"user_id"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AccountRequest adds a customer funding account with an opening balance (moved from the system
// account of its currency, so the ledger stays balanced).
type AccountRequest struct {
	AccountID      string       `json:"account_id"`
	UserID         string       `json:"user_id"`
	OpeningBalance money.Amount `json:"opening_balance"`
}

// Balance is one account and its balance.
type Balance struct {
	AccountID string            `json:"account_id"`
	Kind      store.AccountKind `json:"kind"`
	OwnerID   string            `json:"owner_id,omitempty"`
	Balance   money.Amount      `json:"balance"`
}

// Balances lists accounts.
type Balances struct {
	Accounts []Balance `json:"accounts"`
}

// Transaction is one stored terminal transaction.
type Transaction struct {
	TerminalID      string        `json:"terminal_id"`
	TerminalTxnID   string        `json:"terminal_txn_id"`
	Kind            store.OpKind  `json:"kind"`
	Status          string        `json:"status"`
	Code            protocol.Code `json:"code,omitempty"`
	Message         string        `json:"message,omitempty"`
	Offline         bool          `json:"offline,omitempty"`
	Amount          money.Amount  `json:"amount"`
	MerchantID      string        `json:"merchant_id,omitempty"`
	UserID          string        `json:"user_id,omitempty"`
	AuthorizationID string        `json:"authorization_id,omitempty"`
	TargetTxnID     string        `json:"target_txn_id,omitempty"`
	ApprovalCode    string        `json:"approval_code,omitempty"`
	ApprovedAt      time.Time     `json:"approved_at,omitzero"`
	SettledAt       time.Time     `json:"settled_at,omitzero"`
	RefundedMinor   int64         `json:"refunded_minor,omitempty"`
	VoidedBy        string        `json:"voided_by,omitempty"`
	Seq             uint64        `json:"seq"`
}

// Transactions lists transactions, newest first.
type Transactions struct {
	Transactions []Transaction `json:"transactions"`
}

// Authorization is a first approval as the admin API shows it: never the secret.
type Authorization struct {
	AuthorizationID string       `json:"authorization_id"`
	UserID          string       `json:"user_id"`
	AccountID       string       `json:"account_id"`
	CapPerPayment   money.Amount `json:"cap_per_payment"`
	MaxCodes        int          `json:"max_codes"`
	Hold            money.Amount `json:"hold"`
	HoldLeft        money.Amount `json:"hold_left"` // the hold not yet used or released
	UsedCodes       int          `json:"used_codes"`
	ReplayedCodes   int          `json:"replayed_codes"`
	ReleasedMinor   int64        `json:"released_minor"`
	CreatedAt       time.Time    `json:"created_at"`
	ExpiresAt       time.Time    `json:"expires_at"`
	RevokedAt       time.Time    `json:"revoked_at,omitzero"`
	HoldClosedAt    time.Time    `json:"hold_closed_at,omitzero"`
}

// Authorizations lists authorizations.
type Authorizations struct {
	Authorizations []Authorization `json:"authorizations"`
}

// Revocation kinds.
const (
	RevokeTerminal      = "terminal"
	RevokeAuthorization = "authorization"
)

// RevocationRequest revokes a terminal or an authorization.
type RevocationRequest struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Revoked answers a revocation.
type Revoked struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"`
	RevokedAt time.Time `json:"revoked_at"`
}

// UnlockRequest clears the code-failure counters of a user or terminal.
type UnlockRequest struct {
	Kind store.SubjectKind `json:"kind"`
	ID   string            `json:"id"`
}

// CheckReport is the ledger check's result.
type CheckReport struct {
	OK             bool             `json:"ok"`
	Accounts       int              `json:"accounts"`
	Entries        int              `json:"entries"`
	Transactions   int              `json:"transactions"`
	Authorizations int              `json:"authorizations"`
	UsedCodes      int              `json:"used_codes"`
	Totals         map[string]int64 `json:"totals"`
	Problems       []string         `json:"problems,omitempty"`
}

// ImportResult is the answer to an import: one result per item, as a batch would give.
type ImportResult struct {
	TerminalID string                         `json:"terminal_id"`
	Items      int                            `json:"items"`
	Approved   int                            `json:"approved"`
	Declined   int                            `json:"declined"`
	Results    []protocol.TransactionResponse `json:"results"`
}
