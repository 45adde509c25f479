// Package service is settlementd's business logic between the HTTP handlers and the store: it
// authenticates wallets and terminals, issues first approvals (credentials and holds), checks the
// payload, the one-time code and the throttling limits of every payment, turns terminal requests into
// store.PaymentOps, and renders the stored outcome as the signed answer.
//
// Errors that a client must see are *protocol.Problem values with a stable code and an HTTP status;
// anything else is an internal error.
//
// Rendering is a pure function of the stored outcome and the server keys (Ed25519 is deterministic),
// so a retried request gets the byte-identical answer without storing the answer's bytes.
package service
