// Package queue is the terminal's durable store: every sale and void as a Record, a monotonic
// sequence that makes transaction ids (terminal id + sequence), the outbox of requests waiting to be
// forwarded, and the list of payment codes already seen on this terminal.
//
// The Store interface has two implementations: Bolt, a bbolt file committed with fsync on every
// transaction (never NoSync), which the agent uses; and Memory, a fake for tests of the layers above.
// Both pass the same conformance test (conformance_test.go). A sale is only ever reported approved
// after the Update that recorded it has returned, i.e. after the fsync.
//
// Prune applies the retention rule (final records older than a period, seen codes whose credential
// has expired), in transactions of bounded size; see docs/terminal.md, "Retention".
package queue
