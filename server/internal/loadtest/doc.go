// Package loadtest is the settlementd load workload that the end-to-end suites share: it builds the
// real binaries, starts settlementd processes (on bbolt or PostgreSQL) and operates them with
// `settlementd admin`, and it drives many simulated terminals (server/bench) against one or several
// instances while the test kills one with SIGKILL and restarts it.
//
// The workload's Book keeps the first answer to every idempotency key and reports any later answer
// that differs; its checks fail when a merchant's balance differs from the sum of the approved
// answers, when a customer balance goes negative, or when too few payments were approved to mean
// anything. server/e2e runs it on one embedded-store process, server/scaletest on three processes
// sharing one PostgreSQL database.
package loadtest
