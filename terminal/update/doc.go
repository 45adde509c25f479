// Package update replaces the posagent binary from a signed bundle, keeping the previous binary to
// roll back to.
//
// An update verifies the bundle with terminal/bundle against trusted release keys that come from
// outside the bundle (the --trusted-key flag, the config, or the list compiled into the binary with
// -ldflags), checks that the bundle is for this machine, runs the new binary once (`posagent version`)
// to prove it starts here, and only then swaps it in with a rename. The replaced binary stays beside
// it as posagent.prev; Rollback swaps the two back. Every step is fsync'd, so a power cut leaves
// either the old or the new binary in place, never half of one.
package update
