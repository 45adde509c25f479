// Package e2e holds settlementd's end-to-end tests: they build the real settlementd and wallet
// binaries once (TestMain), start the server on a temporary data dir, operate it with
// `settlementd admin`, authorize with `wallet`, and pay as an enrolled terminal would, over real HTTP
// on 127.0.0.1. The concurrency test kills the server with SIGKILL in the middle and restarts it.
package e2e
