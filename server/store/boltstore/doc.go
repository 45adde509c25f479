// Package boltstore is the embedded default store.Store: one bbolt file in the data directory.
//
// Writes go through one writer goroutine that drains a queue of requests and commits many of them per
// bbolt transaction (group commit: one fsync pair per group, bounded by maxGroupOps and
// maxGroupRequests). A request whose writes fail makes the group roll back and its members run again
// one transaction each, so one bad request never fails the others. Reads use View transactions and run
// beside the writer.
//
// Money rules come from server/ledger; this package only maps records to buckets.
package boltstore
