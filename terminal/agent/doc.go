// Package agent is the cashier's sale: it waits for the customer's code (from a scanner, a camera
// source or the register), sends it online under the sale's transaction id, falls back to an
// offline approval when the server cannot be reached, commits every decision to the durable queue
// before anyone hears of it, and prints the receipt.
//
// The rule that shapes the code: the register hears "approved" only after the record that makes the
// approval settle is fsync'd, and an online request whose answer never came is either approved
// offline under the same id (the server applies an id at most once) or voided under that id, so
// the customer is never charged twice and never charged for a sale the register was told failed.
// docs/terminal.md draws the state machine.
package agent
