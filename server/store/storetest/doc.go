// Package storetest is the conformance suite every store.Store implementation passes: each
// implementation's test calls Run with a function that opens a fresh, empty store.
//
// It covers every method: the records and their sentinel errors, the money rules of payments, voids and
// refunds (exact balances), idempotency (same key, same request → the identical stored outcome; same key,
// other request → ErrIdempotencyMismatch), holds through expiry, revocation and the settlement grace,
// nonces, code-failure counters, listings, export/import, and concurrency (many goroutines, retries,
// no double application, no negative balance, Check passes).
package storetest
