// Package bundlecmd is the stillbundle command: it builds signed posagent bundles from cross-built
// binaries (scripts/bundle.sh runs it for `make bundle`), verifies them, and manages release keys.
//
// The signing key is the key file named by $STILLPAY_RELEASE_KEY (shared/keyfile format). Without it,
// a development key is created once at bin/release-dev.key (0600) and every use says so loudly, with
// the public key that test terminals must be told to trust.
package bundlecmd
