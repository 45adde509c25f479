// Package pgstore is the PostgreSQL store.Store, for running many stateless settlementd instances on one
// database (docs/scaling.md: a primary and a synchronous standby with automatic failover). A database
// that goes away mid-call (a failover) is reported as store.ErrUnavailable, which settlementd answers
// with a retryable 503; a multi-host connection string with target_session_attrs=read-write finds the
// new primary.
//
// Every write runs in a SERIALIZABLE transaction, retried a bounded number of times on serialization
// failures and deadlocks (SQLSTATE 40001, 40P01). ApplyPayments is set-based: one writer goroutine per
// Store merges concurrent calls into one transaction (group commit: one WAL flush for many requests),
// reads every row the group's ops touch with a handful of bulk queries, decides each op in order with
// the money rules of server/ledger against that snapshot, and writes the results back with a few
// multi-row statements (unnest). A batch of 1,000 ops costs about five round trips, not 1,000.
//
// Nothing that instances must share lives in process memory: idempotency records, used codes, request
// nonces and code-failure counters are rows. The schema is created and upgraded by versioned SQL files
// embedded in the binary (migrations/), applied at Open under a lock row, so that several instances
// starting at once are safe.
package pgstore
