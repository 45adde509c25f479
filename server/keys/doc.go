// Package keys holds settlementd's Ed25519 signing keys: it creates the first key on first start,
// rotates to a new key on request, and keeps every older key so that credentials and approvals it
// signed still verify (and stored approvals still render byte-identically).
//
// Keys live in DATA/keys/ as one 0600 PEM file per key id plus a 0600 manifest naming the current
// key; every change is written atomically (temporary file, fsync, rename).
package keys
