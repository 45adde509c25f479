// Package api is settlementd's HTTP JSON API: the /v1 routes for wallets, terminals and operators,
// /healthz and /metrics.
//
// Every body is decoded strictly (one JSON value, no unknown fields, a size limit per route) and
// every error is a problem+json document with a stable code from shared/protocol, so clients switch
// on codes and never parse prose. Terminal requests carry an Ed25519 signature with a timestamp and a
// nonce; the nonce is kept in the store, so a replay is caught by any instance sharing it.
package api
