// Package cli is the wallet command line: the customer's phone as a program (login, authorize,
// code, pay, offers, revoke, logout, status). cmd/wallet only wires it to the process: Run takes
// the arguments, the three streams and an Env (environment lookup and the image decoder for
// `wallet pay --image`), so tests run every command in-process.
package cli
