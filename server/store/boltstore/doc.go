// Package boltstore is the embedded default store.Store: one bbolt file in the data directory.
//
// Writes go through one writer goroutine that drains a queue of requests and commits many of them per
// bbolt transaction (group commit: one fsync pair per group, bounded by maxGroupOps and
// maxGroupRequests; under concurrency the writer lingers briefly for callers that are resubmitting). A
// request whose writes fail makes the group roll back and its members run again one transaction each,
// so one bad request never fails the others. Reads use View transactions and run beside the writer.
//
// The layout is chosen for the fsync'd page count of a payment, which is what a commit costs: everything
// about one authorization (record, used codes, its transactions) sits under its id in one bucket, and the
// records every payment writes (transaction, journal entry, used code, authorization) are compact binary
// (binenc.go); everything else is JSON. Money rules come from server/ledger; this package only maps
// records to buckets.
//
// bbolt always syncs its commits here (never NoSync); Open on a file left by a crash is fine, since each
// commit is atomic, and Check verifies bbolt's pages as well as the ledger.
package boltstore
