// Package store defines what settlementd keeps durably: merchants, terminals, users, sessions, accounts and
// the double-entry ledger, offline authorizations and their holds, used one-time codes, terminal
// transactions with their idempotency records, request nonces and code-failure counters.
//
// It holds the Store interface, the domain types and the sentinel errors, and nothing else. Every
// implementation (boltstore, pgstore, and the in-memory fake memstore) passes the same conformance
// suite, storetest.Run. The money rules the embedded stores apply are in server/ledger.
package store

import (
	"context"
	"time"
)

// Store is the settlement server's durable state. Every method is safe for concurrent use. Methods that
// write are durable (fsync'd) when they return nil: anything the server reports as approved has been
// committed first.
//
// Times: stores keep times in UTC at microsecond precision (what PostgreSQL keeps). Values returned by a
// write are already normalised, so a fresh answer and its later replay compare equal.
type Store interface {
	OrderStore
	Pinger
	Offers
	Redemptions
	PushSubscriptions

	// --- merchants, terminals, users, sessions ---

	// CreateMerchant adds a merchant and its settlement account (kind AccountMerchant, balance 0, in
	// m.Currency). An empty m.AccountID becomes MerchantAccountID(m.ID). ErrExists if the merchant or the
	// account id is taken.
	CreateMerchant(ctx context.Context, m Merchant) (Merchant, error)
	GetMerchant(ctx context.Context, id string) (Merchant, error)
	ListMerchants(ctx context.Context, p Page) ([]Merchant, error)

	// CreateTerminal adds a terminal in state TerminalPending for an existing merchant, with the hash of
	// its one-time enrollment code (the code itself is never stored). ErrNotFound for an unknown merchant.
	CreateTerminal(ctx context.Context, t Terminal) (Terminal, error)
	// EnrollTerminal redeems an enrollment code: it finds the pending terminal by code hash, stores its
	// public key and makes it active. ErrNotFound for an unknown hash, ErrEnrollCodeUsed when the code
	// was already redeemed, ErrEnrollCodeExpired after EnrollExpiresAt, ErrRevoked for a revoked terminal.
	EnrollTerminal(ctx context.Context, e Enrollment) (Terminal, error)
	GetTerminal(ctx context.Context, id string) (Terminal, error)
	ListTerminals(ctx context.Context, f TerminalFilter) ([]Terminal, error)
	// ReissueEnrollCode gives a terminal a new one-time enrollment code (ledger.Reissue): the old
	// code stops working, and an enrolled terminal's key is replaced when the new code is redeemed.
	// ErrNotFound for an unknown terminal, ErrRevoked for a revoked one, ErrExists if the hash is taken.
	ReissueEnrollCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) (Terminal, error)
	// RevokeTerminal marks a terminal revoked at the given time. Revoking twice keeps the first time.
	RevokeTerminal(ctx context.Context, id string, at time.Time) (Terminal, error)

	// CreateUser adds a user (PasswordHash is an argon2id/bcrypt string made by the caller).
	CreateUser(ctx context.Context, u User) (User, error)
	GetUser(ctx context.Context, id string) (User, error)
	ListUsers(ctx context.Context, p Page) ([]User, error)

	// CreateSession stores a wallet session under the hash of its bearer token.
	CreateSession(ctx context.Context, s Session) error
	// GetSession finds a session by token hash; ErrNotFound if unknown or already expired at now.
	GetSession(ctx context.Context, tokenHash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error

	// --- accounts and ledger ---

	// CreateAccount adds a customer account (the only kind callers create; merchant, hold and system
	// accounts are made by the store) owned by an existing user, funded with opening minor units by a
	// journal entry system → account. opening may be 0.
	CreateAccount(ctx context.Context, a Account, opening int64, at time.Time) (Account, error)
	GetAccount(ctx context.Context, id string) (Account, error)
	ListAccounts(ctx context.Context, f AccountFilter) ([]Account, error)
	// ListEntries pages through the journal, oldest first, after entry id f.AfterID.
	ListEntries(ctx context.Context, f EntryFilter) ([]Entry, error)

	// --- authorizations (first approval) ---

	// CreateAuthorization records a first approval and atomically moves its hold (CapPerPayment ×
	// MaxCodes) from the customer account to a new hold account (HoldAccountID(a.ID)). The account must
	// belong to a.UserID (ErrNotOwner) and be in a.Currency (ErrCurrencyMismatch); ErrInsufficientFunds
	// if its balance is short. The returned value has HoldMinor and HoldAccountID set.
	CreateAuthorization(ctx context.Context, a Authorization) (Authorization, error)
	GetAuthorization(ctx context.Context, id string) (Authorization, error)
	// GetAuthorizations looks up many at once (a batch of terminal requests); unknown ids are absent
	// from the map, not an error.
	GetAuthorizations(ctx context.Context, ids []string) (map[string]Authorization, error)
	ListAuthorizations(ctx context.Context, f AuthorizationFilter) ([]Authorization, error)
	// RevokeAuthorization stops further payments: online ones at once, offline ones approved at or after
	// at. The unused hold is released by Sweep after the grace period. Revoking twice keeps the first time.
	RevokeAuthorization(ctx context.Context, id string, at time.Time) (Authorization, error)

	// --- payments (second approval), voids, refunds ---

	// ApplyPayments applies 1..MaxOpsPerCall ops. Each op is atomic and independent: its outcome (or
	// its Outcome.Err, e.g. ErrIdempotencyMismatch) never affects another op's. Ops are applied in order,
	// so a later op in the same call sees an earlier one. The error result is for the whole call (ctx,
	// store closed, I/O); then no outcome is returned, and the caller retries with the same keys — ops
	// that did commit are replayed, not applied twice.
	//
	// Concurrent calls are group-committed: many calls share one transaction and one fsync.
	ApplyPayments(ctx context.Context, ops []PaymentOp) ([]Outcome, error)
	// ApplySigned is ApplyPayments for a signed terminal request: it records the request's nonce in the
	// same transaction (one fsync for both). If the nonce was used, it returns ErrNonceReplayed and
	// applies nothing.
	ApplySigned(ctx context.Context, nonce Nonce, ops []PaymentOp) ([]Outcome, error)
	// GetTxn returns the record stored under an idempotency key.
	GetTxn(ctx context.Context, key TxnKey) (Txn, error)
	// GetTxns looks up many idempotency keys at once (a batch of terminal requests): unknown keys are
	// absent from the map, not an error, and a key asked for twice is answered once. At most
	// MaxOpsPerCall keys (ErrTooManyOps); none gives an empty map.
	GetTxns(ctx context.Context, keys []TxnKey) (map[TxnKey]Txn, error)
	// ListTxns pages through transactions, newest first, filtered by terminal, merchant, user or
	// authorization (see TxnFilter).
	ListTxns(ctx context.Context, f TxnFilter) ([]Txn, error)

	// --- shared request state ---

	// UseNonce records a terminal request nonce; ErrNonceReplayed if it was already used and has not
	// expired. Sweep forgets expired nonces. Callers derive expiresAt from the request's signed
	// timestamp, so a replay always carries the same expiry: a store may key nonces by (terminal,
	// nonce) or by (expiry, terminal, nonce) — boltstore does the latter so that new keys append.
	UseNonce(ctx context.Context, terminalID, nonce string, expiresAt time.Time) error
	// RecordCodeFailures counts one failed code attempt at time at for each subject (e.g. the user and
	// the terminal) and returns the counts after it (window: at or after since), in the same order.
	// A pre-decided decline with Decline.CountFailure counts the same way inside ApplyPayments.
	RecordCodeFailures(ctx context.Context, subjects []Subject, at, since time.Time) ([]FailureCount, error)
	// CodeFailures returns a subject's failures at or after since (the sliding window) and on the UTC
	// day of now.
	CodeFailures(ctx context.Context, s Subject, since, now time.Time) (FailureCount, error)
	// ClearCodeFailures forgets a subject's failures (an operator unlocking a user).
	ClearCodeFailures(ctx context.Context, s Subject) error

	// --- maintenance ---

	// Sweep releases the unused hold of every authorization expired or revoked before now − grace
	// (hold → customer, one journal entry each), and forgets expired nonces, sessions and failure
	// timestamps older than a day. Safe to run concurrently with everything else, and repeatedly.
	Sweep(ctx context.Context, now time.Time, grace time.Duration) (SweepReport, error)
	// Check verifies the ledger and the indexes: balances per currency sum to zero, every entry balances,
	// no non-system balance is negative, every balance equals the sum of its journal legs, every hold
	// account holds what its authorization leaves unreleased, used codes ≤ MaxCodes and match the
	// authorization's count, no terminal request moved money twice and every movement belongs to a
	// recorded txn, and every index agrees with its records. It returns ErrInconsistent, wrapped
	// with the first problem, when anything is wrong; Report.Problems lists them all (up to
	// MaxReportProblems). An error that does not wrap ErrInconsistent means Check could not run.
	Check(ctx context.Context) (Report, error)

	// Export calls fn with every record, dependencies first (merchants, users, accounts, terminals,
	// authorizations, entries, txns, used codes, sessions, nonces, failures), from one consistent
	// snapshot. fn's error stops the export and is returned.
	Export(ctx context.Context, fn func(Record) error) error
	// Import writes records verbatim (balances, ids and sequence numbers included) into a store, in the
	// order Export gives them; ErrExists if a record is already there. Run Check afterwards.
	Import(ctx context.Context, recs []Record) error

	// Close finishes queued writes and releases the store.
	Close() error
}
