// Package browsertest runs the web wallet (server/webwallet) in a real headless Chromium from go
// test. It has no code of its own: its tests need /usr/bin/chromium (Debian's chromium package,
// installed by .ci/run). Without it they print one line and skip, unless STILLPAY_REQUIRE_BROWSER=1
// (set by .ci/run), when they fail.
package browsertest
