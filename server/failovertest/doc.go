// Package failovertest runs settlementd on a PostgreSQL database that fails over: a pg_auto_failover
// monitor, a primary and a synchronous standby (Debian's postgresql-15-auto-failover) on loopback
// ports in temporary directories, three settlementd processes on a multi-host connection string
// (target_session_attrs=read-write), and 64 terminals paying through them while the primary (or the
// standby) is killed with SIGKILL. It holds tests only; they skip under `go test -short` and, with one
// line saying so, when pg_autoctl or PostgreSQL's programs are missing, unless
// STILLPAY_REQUIRE_FAILOVER=1 (CI), where they fail instead.
package failovertest
