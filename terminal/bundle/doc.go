// Package release defines the posagent install bundle: a tar.gz holding the agent binary, its
// configuration files and install script, a MANIFEST naming the version and target, SHA256SUMS over
// every file, and an Ed25519 signature over SHA256SUMS.
//
// The same code builds bundles (cmd/stillbundle, scripts/bundle.sh) and verifies them before a
// terminal installs one (terminal/update), so the two cannot drift apart. Verification trusts only the
// public keys its caller passes in, never a key found inside the bundle: a bundle names the key that
// signed it by key id, which is used for error messages only.
//
// Everything read from a bundle is bounded (file count, file size, total size), and an archive with
// links, devices, absolute paths or ".." is refused before any signature is checked.
package bundle
