// Package protocol defines the HTTP JSON wire protocol between wallets, terminals and settlementd:
// request and response bodies, the problem document every error is returned as (with a stable code),
// and the Ed25519 request signature every terminal request carries.
//
// The server, the terminal agent and the wallet all import these types, so a change here is a
// protocol change: add fields, never repurpose them.
package protocol
