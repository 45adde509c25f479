package ledger

import (
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// Tx is the state Apply reads and writes, inside one store transaction. Lookups of a missing record
// return an error wrapping store.ErrNotFound. Any other error aborts the whole transaction.
type Tx interface {
	Terminal(id string) (store.Terminal, error)
	Merchant(id string) (store.Merchant, error)
	Authorization(id string) (store.Authorization, error)
	// PutAuthorization updates an existing authorization (its counters).
	PutAuthorization(a store.Authorization) error
	Balance(accountID string) (int64, error)
	Txn(key store.TxnKey) (store.Txn, error)
	// InsertTxn stores a new txn: it assigns t.Seq and writes the listing indexes.
	InsertTxn(t *store.Txn) error
	// UpdateTxn rewrites an existing txn's mutable fields (refunds, voids).
	UpdateTxn(t store.Txn) error
	CodeUsed(authorizationID string, counter uint64) (bool, error)
	PutUsedCode(u store.UsedCode) error
	// OfferRedeemed reports whether an offer token id is already redeemed.
	OfferRedeemed(tokenID string) (bool, error)
	// PutRedemption records a redeemed offer token (store.ErrExists if it already is).
	PutRedemption(r store.Redemption) error
	// AppendEntry assigns e.ID, stores the entry and applies its legs to the balances.
	AppendEntry(e *store.Entry) error
	// RecordFailure counts one code failure against s at time at.
	RecordFailure(s store.Subject, at time.Time) error
	// Failures returns s's stored failures; a subject without any has the zero value.
	Failures(s store.Subject) (store.Failures, error)
}
