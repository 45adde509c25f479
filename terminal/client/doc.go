// Package client is the terminal's HTTP client for settlementd: enrollment, online transactions,
// batches and voids, each terminal request signed with the terminal key (protocol.SignRequest).
//
// Transaction retries the identical body under the same transaction id a bounded number of times
// (MaxSendAttempts): the server's idempotency makes a retry safe, and a retry is the only way to
// learn the outcome of a request whose answer was lost. When no answer comes, the error says whether
// the request may have reached the server (UnreachableError.MaybeSent), which decides whether the
// agent must later void that id.
package client
