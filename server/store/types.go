package store

import (
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// Limits every implementation enforces.
const (
	// MaxOpsPerCall bounds one ApplyPayments call: a terminal batch is one call.
	MaxOpsPerCall = protocol.MaxBatchItems
	// MaxIDLen bounds every caller-chosen id (merchant, terminal, user, account, authorization, txn).
	MaxIDLen = protocol.MaxIDLen
	// MaxHashLen bounds token, code and request hashes.
	MaxHashLen = 64
	// MaxPageSize bounds one List call; a zero Limit means DefaultPageSize.
	MaxPageSize     = 1000
	DefaultPageSize = 100
	// MaxReportProblems bounds Report.Problems.
	MaxReportProblems = 100
	// MaxFailureTimes bounds the failure timestamps kept per subject for the sliding window; a window
	// that needs more is already far over any sane throttling limit.
	MaxFailureTimes = 256
)

// DefaultSettlementGrace is how long after an authorization's expiry or revocation its unused hold stays
// in place, so that late offline batches from honest terminals still settle from it.
const DefaultSettlementGrace = 7 * 24 * time.Hour

// Page selects one page of a listing ordered by id: ids after AfterID, at most Limit of them.
type Page struct {
	AfterID string
	Limit   int
}

// Merchant is a shop (or chain) with one settlement account.
type Merchant struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Currency      string    `json:"currency"`
	AccountID     string    `json:"account_id"`
	ReceiptHeader []string  `json:"receipt_header,omitempty"`
	MCC           string    `json:"mcc,omitempty"` // ISO 18245 merchant category, four digits; offers screen on it
	CreatedAt     time.Time `json:"created_at"`
}

// TerminalState is where a terminal is in its life.
type TerminalState string

// Terminal states.
const (
	TerminalPending TerminalState = "pending" // created, enrollment code not yet redeemed
	TerminalActive  TerminalState = "active"
	TerminalRevoked TerminalState = "revoked"
	// TerminalRekeying is enrolled, with a new one-time enrollment code issued and not yet redeemed
	// (a box replaced, or re-keying after a compromise): the current key keeps working until a box
	// redeems the code; from then on only that box's key does.
	TerminalRekeying TerminalState = "rekeying"
)

// Terminal is a POS terminal of a merchant.
type Terminal struct {
	ID              string                  `json:"id"`
	MerchantID      string                  `json:"merchant_id"`
	Name            string                  `json:"name,omitempty"`
	State           TerminalState           `json:"state"`
	EnrollCodeHash  []byte                  `json:"enroll_code_hash"` // hash of the one-time code; never the code
	EnrollExpiresAt time.Time               `json:"enroll_expires_at,omitzero"`
	PublicKey       []byte                  `json:"public_key,omitempty"` // Ed25519, set at enrollment
	Hostname        string                  `json:"hostname,omitempty"`
	Version         string                  `json:"version,omitempty"`
	Limits          protocol.TerminalLimits `json:"limits"`
	CreatedAt       time.Time               `json:"created_at"`
	EnrolledAt      time.Time               `json:"enrolled_at,omitzero"`
	RevokedAt       time.Time               `json:"revoked_at,omitzero"`
}

// Enrolled reports whether the terminal's key signs requests: active, or active with a new
// enrollment code outstanding.
func (t Terminal) Enrolled() bool {
	return t.State == TerminalActive || t.State == TerminalRekeying
}

// Enrollment is a terminal redeeming its one-time code.
type Enrollment struct {
	CodeHash  []byte
	PublicKey []byte
	Hostname  string
	Version   string
	At        time.Time
}

// TerminalFilter selects terminals, optionally of one merchant.
type TerminalFilter struct {
	MerchantID string
	Page
}

// User is a customer who logs in from the wallet.
type User struct {
	ID           string    `json:"id"`
	Name         string    `json:"name,omitempty"`
	PasswordHash string    `json:"password_hash"` // argon2id or bcrypt encoded string
	CreatedAt    time.Time `json:"created_at"`
}

// Session is a logged-in wallet, found by the hash of its bearer token.
type Session struct {
	TokenHash []byte    `json:"token_hash"`
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AccountKind says whose money an account holds.
type AccountKind string

// Account kinds.
const (
	AccountCustomer AccountKind = "customer" // a user's funding account
	AccountMerchant AccountKind = "merchant" // a merchant's settlement account
	AccountHold     AccountKind = "hold"     // one per authorization: its unreleased offline exposure
	AccountSystem   AccountKind = "system"   // issuer/equity, one per currency; the only one that goes negative
)

// Account is a ledger account. Balance is in minor units of Currency.
type Account struct {
	ID        string      `json:"id"`
	Kind      AccountKind `json:"kind"`
	Currency  string      `json:"currency"`
	OwnerID   string      `json:"owner_id,omitempty"` // user, merchant or authorization id; empty for system
	Balance   int64       `json:"balance"`
	CreatedAt time.Time   `json:"created_at"`
}

// AccountFilter selects accounts by owner and/or kind.
type AccountFilter struct {
	OwnerID string
	Kind    AccountKind
	Page
}

// SystemAccountID is the id of the system account of a currency.
func SystemAccountID(currency string) string { return "system:" + currency }

// HoldAccountID is the id of an authorization's hold account.
func HoldAccountID(authorizationID string) string { return "hold:" + authorizationID }

// MerchantAccountID is the default id of a merchant's settlement account.
func MerchantAccountID(merchantID string) string { return "merchant:" + merchantID }

// EntryKind says why money moved.
type EntryKind string

// Journal entry kinds.
const (
	EntryOpening EntryKind = "opening" // system → customer
	EntryHold    EntryKind = "hold"    // customer → hold, at first approval
	EntryPayment EntryKind = "payment" // hold → customer (one slot), customer → merchant
	EntryVoid    EntryKind = "void"    // merchant → customer, reversing a payment
	EntryRefund  EntryKind = "refund"  // merchant → customer
	EntryRelease EntryKind = "release" // hold → customer, after expiry/revocation + grace
)

// Leg is one account's change in a journal entry.
type Leg struct {
	AccountID string `json:"account_id"`
	Delta     int64  `json:"delta"`
}

// Entry is one balanced journal entry: its legs sum to zero, all in Currency.
type Entry struct {
	ID       uint64    `json:"id"` // increasing, from 1
	Kind     EntryKind `json:"kind"`
	Currency string    `json:"currency"`
	Legs     []Leg     `json:"legs"`
	Ref      string    `json:"ref"` // authorization id, or terminal id + "/" + terminal txn id
	At       time.Time `json:"at"`
}

// EntryFilter pages through the journal by id.
type EntryFilter struct {
	AfterID uint64
	Limit   int
}

// Authorization is a first approval: an offline credential and the hold behind it.
type Authorization struct {
	ID              string `json:"id"`
	UserID          string `json:"user_id"`
	AccountID       string `json:"account_id"` // the customer funding account
	HoldAccountID   string `json:"hold_account_id"`
	Currency        string `json:"currency"`
	CapPerPayment   int64  `json:"cap_per_payment"` // minor units
	MaxCodes        int    `json:"max_codes"`
	HoldMinor       int64  `json:"hold_minor"` // CapPerPayment × MaxCodes, moved to the hold account
	DevicePublicKey []byte `json:"device_public_key"`
	// SealedSecret is the per-authorization OTP key as the service chose to store it (it should seal
	// it); the store treats it as opaque bytes.
	SealedSecret []byte    `json:"sealed_secret"`
	Credential   []byte    `json:"credential,omitempty"` // the signed credential as issued
	KeyID        string    `json:"key_id,omitempty"`     // server key that signed the credential
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`

	// Kept by the store.
	UsedCodes     int       `json:"used_codes"`     // codes that settled a payment; ≤ MaxCodes
	ReplayedCodes int       `json:"replayed_codes"` // attempts to use a code again (declined code_used)
	ReleasedMinor int64     `json:"released_minor"` // hold moved back to the customer (slots and sweep)
	HoldClosedAt  time.Time `json:"hold_closed_at,omitzero"`
}

// Unreleased is what the hold account must hold for this authorization.
func (a Authorization) Unreleased() int64 { return a.HoldMinor - a.ReleasedMinor }

// AuthorizationFilter selects authorizations by user and/or account.
type AuthorizationFilter struct {
	UserID    string
	AccountID string
	Page
}

// UsedCode records that code counter Counter of an authorization settled a payment.
type UsedCode struct {
	AuthorizationID string    `json:"authorization_id"`
	Counter         uint64    `json:"counter"`
	TerminalID      string    `json:"terminal_id"`
	TerminalTxnID   string    `json:"terminal_txn_id"`
	At              time.Time `json:"at"`
}

// Nonce is a used terminal request nonce.
type Nonce struct {
	TerminalID string    `json:"terminal_id"`
	Nonce      string    `json:"nonce"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// SubjectKind says what a code-failure counter counts against.
type SubjectKind string

// Subject kinds for code-failure throttling.
const (
	SubjectUser     SubjectKind = "user"
	SubjectTerminal SubjectKind = "terminal"
	// SubjectLogin counts failed password logins of a user id, apart from its failed codes, so that
	// someone guessing passwords cannot lock the user's payments.
	SubjectLogin SubjectKind = "login"
	// SubjectSource counts failed password logins from one client address (an IPv4 address or an
	// IPv6 /64), whatever user ids they name, so that one host cannot spray guesses over many users.
	SubjectSource SubjectKind = "source"
)

// Valid reports whether k is one of the subject kinds above.
func (k SubjectKind) Valid() bool {
	return k == SubjectUser || k == SubjectTerminal || k == SubjectLogin || k == SubjectSource
}

// Subject is whose failed code attempts are counted.
type Subject struct {
	Kind SubjectKind `json:"kind"`
	ID   string      `json:"id"`
}

// FailureCount is a subject's failed attempts in the sliding window and on the current UTC day.
type FailureCount struct {
	InWindow int
	Today    int
}

// Failures is the stored throttling state of one subject (exported and imported verbatim).
type Failures struct {
	Subject  Subject     `json:"subject"`
	Times    []time.Time `json:"times"` // recent failures, oldest first, at most MaxFailureTimes
	Day      string      `json:"day"`   // UTC date of DayCount, "2006-01-02"
	DayCount int         `json:"day_count"`
}

// SweepReport says what Sweep did.
type SweepReport struct {
	HoldsReleased   int
	ReleasedMinor   map[string]int64 // per currency
	NoncesDeleted   int
	SessionsDeleted int
	// More is set when Sweep stopped at its limit; run it again.
	More bool
}

// Report is the result of Check.
type Report struct {
	Accounts       int
	Entries        int
	Txns           int
	Authorizations int
	UsedCodes      int
	// Totals is the sum of all balances per currency; Check requires every one to be 0.
	Totals   map[string]int64
	Problems []string
}

// OK reports whether Check found nothing wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 }
