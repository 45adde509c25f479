// Package doctor is `posagent doctor`: the checks a technician runs after installing, provisioning
// or replacing a part of a POS lane. Each check prints one line with its status and, when something
// is wrong, what to do about it; the command exits non-zero when any check fails.
//
// The checks, in order: the config file, the terminal identity, whether the agent is running, the
// settlement server (reachable, accepting this terminal's signed requests, clock skew), the scanner
// (and with --scan a test scan), the printer (real-time status, and with --print a test page with a
// QR code), the queue file (depth, oldest item, bbolt consistency) and free disk space.
//
// When the agent is running it holds the serial ports and the queue file; the device and queue
// checks then read the agent's own view through the local API instead of opening them a second time.
// Checks that depend on an earlier one that failed are reported as skipped, never as passed.
package doctor
