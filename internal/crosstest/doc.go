// Package crosstest proves that the posagent shipped to POS boxes works, not only builds. Its tests
// (there is no other code here) cross-build posagent for linux/armv7, linux/arm64 and linux/amd64 the
// way `make cross` does, and check:
//
//   - each binary is statically linked (no PT_INTERP, no dynamic section) and at most 12 MB;
//   - under qemu-user, the armv7 and arm64 binaries print their version, pass `posagent doctor`
//     against the simulated scanner and printer, and make one online sale through the pty scanner
//     and printer against a live settlementd (the simulators and settlementd run natively);
//   - the amd64 bundle installs into a temporary root with install.sh (twice, keeping the config and
//     the queue), `posagent provision` enrolls against a live settlementd, `posagent doctor` passes,
//     and fails with a clear line when the simulated printer is out of paper or the server is down;
//     `posagent update` installs a signed bundle, refuses a tampered one and rolls back.
//
// The emulated runs are skipped, with one line saying so, where qemu-arm-static or
// qemu-aarch64-static is missing, and fail instead when STILLPAY_REQUIRE_QEMU=1 (as in CI).
package crosstest
