// Package server is settlementd, the settlement server of stillpay: it gives wallets their offline
// authorization (first approval), approves terminal payments (second approval), takes batches of
// queued terminal requests, and keeps a double-entry ledger.
//
// Its packages, from the outside in:
//
//   - server/cli: the cobra commands of the settlementd binary (serve, admin, keys, bench).
//   - server/api: the HTTP JSON API under /v1 (strict decoding, problem+json errors, terminal request
//     signatures, the admin API, /healthz and /metrics).
//   - server/service: the business rules: codes, credentials, throttling, payment ops and approvals.
//   - server/store: the Store interface and its implementations (bbolt by default).
//   - server/keys: the server's signing keys, created on first start and rotated.
//   - server/admin: the admin API's wire types and its client, used by `settlementd admin`.
//   - server/bench: the throughput benchmark behind `settlementd bench` and `make bench`.
package server
