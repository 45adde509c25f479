// Package ledger holds the money rules of settlementd as code that every embedded store shares: how a
// payment, void or refund op is decided and which journal legs it writes (Apply, over a small Tx
// interface a store implements on its own transaction), how a first approval's hold is placed, and the
// invariants Check verifies (Checker).
//
// A SQL store expresses the same rules set-based and runs the same conformance suite; the rules are
// written down in the store package's PaymentOp documentation.
package ledger
