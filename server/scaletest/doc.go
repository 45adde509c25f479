// Package scaletest runs settlementd scaled out: several real settlementd processes on one PostgreSQL
// database, terminals spreading their requests over them at random while one instance is killed with
// SIGKILL and restarted. It holds tests only; they need PostgreSQL (see server/store/pgstore/pgtest).
package scaletest
