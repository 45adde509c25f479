// Package serverkeys holds the settlement server's public keys a terminal trusts, and follows the
// server's key rotations without trusting the network: a key listed by GET /v1/keys is trusted only
// when a key the terminal already trusts endorses it (protocol.AcceptKeys), and the grown list is
// saved to the identity file (temporary file, fsync, rename) before it is used.
//
// The terminal learns keys in three moments: when an online approval names a key id it does not
// know (Learn, then the approval is checked again), at start-up, and when the forwarder finds the
// server reachable after an outage (RefreshIfDue, at most once per MinRefreshInterval), so that
// offline checks of credentials issued after a rotation work before the next online sale.
package serverkeys
