// Package localapi is the cash register's API to the agent: HTTP on a loopback address or a unix
// socket (never the network: it has no authentication), JSON in and out. The register starts a
// sale, follows it with long polls, cancels it, asks for a reprint and reads the last results;
// /metrics exposes the agent's health in the Prometheus text format. Client is the Go client that
// `posagent sale`, `status`, `console` and `queue` use.
package localapi
