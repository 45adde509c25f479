// Package bench measures settlementd's throughput against the goals in docs/benchmarks.md: approved
// payments per second through HTTP with 64 concurrent terminals, one payment per request and in
// batches of 100 and 1,000, next to a baseline measured in the same run (a bbolt loop with one
// fsync'd Update per payment).
//
// It drives any settlementd through its public API and the admin API (so the same driver measures the
// embedded store and, later, PostgreSQL), and it holds the simulated terminal and wallet that the
// server's end-to-end tests use too: a terminal that signs its requests exactly as posagent does, and
// a wallet that makes payment codes exactly as the wallet package does.
package bench
