// Package backup copies a settlementd data directory on the embedded store into one tar file while
// the server serves, and restores it into a new directory.
//
// The archive holds, in this order: stillpay.db, a consistent copy of the store made in one bbolt
// read transaction (payments go on while it is written; the copy is the store as of the moment the
// transaction began), then the key files that copy needs, byte for byte as they are on disk: keys/
// (the signing keys and their manifest; read after the store copy, so every key an approval in the
// copy names is in it, since keys are only ever added) and seal.key (which the one-time-code secrets
// in the store are sealed with). The admin token is not in it: a restored server makes a new one.
// The archive is as secret as the data directory: keep it 0600 and encrypted at rest.
//
// PostgreSQL stores are backed up with PostgreSQL's own tools (pg_basebackup and WAL archiving,
// pg_dump); docs/scaling.md has the runbook. Their keys/ and seal.key are copied the same way.
package backup
