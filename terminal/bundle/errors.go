package bundle

import (
	"errors"
	"fmt"
)

// Errors returned (wrapped) by Open, ParsePublicKey and the signing helpers. Test with errors.Is.
// Hint turns each into what a technician should do.
var (
	// ErrMalformed: the file is not a bundle in this format (not gzip/tar, unsafe entries, bad
	// MANIFEST or SHA256SUMS lines, over a size bound).
	ErrMalformed = errors.New("not a valid posagent bundle")
	// ErrUnsigned: the bundle has no SHA256SUMS or no SHA256SUMS.sig.
	ErrUnsigned = errors.New("bundle is not signed")
	// ErrNoTrustedKeys: the caller has no release key to verify with.
	ErrNoTrustedKeys = errors.New("no trusted release key configured")
	// ErrUntrustedKey: the signature names a key that is not among the trusted keys.
	ErrUntrustedKey = errors.New("bundle is signed by a key this terminal does not trust")
	// ErrBadSignature: the signature does not verify against any trusted key (SHA256SUMS or the
	// signature was changed).
	ErrBadSignature = errors.New("bundle signature does not verify")
	// ErrChecksum: a file does not match SHA256SUMS, is missing, or is not listed.
	ErrChecksum = errors.New("bundle file does not match its signed checksum")
	// ErrBadKey: a public or private key is not in the expected form.
	ErrBadKey = errors.New("not a stillpay release key")
)

// Hint says what to do after err, or "" when this package has no advice.
func Hint(err error) string {
	switch {
	case errors.Is(err, ErrChecksum), errors.Is(err, ErrBadSignature):
		return "the bundle was changed or damaged after it was signed: do not install it; download the bundle again from the release server (compare its size and sha256sum with the published ones)"
	case errors.Is(err, ErrUntrustedKey):
		return "use a bundle signed by your release key, or, if this key is your new release key, pass its public key with --trusted-key"
	case errors.Is(err, ErrNoTrustedKeys):
		return "pass the release public key with --trusted-key KEY (or a file holding it), or install a posagent built with the release key"
	case errors.Is(err, ErrUnsigned):
		return "only signed bundles can be installed: build it with `make bundle`, which signs it"
	case errors.Is(err, ErrMalformed):
		return "this file is not a posagent bundle (posagent-VERSION-TARGET.tar.gz), or it is truncated: download it again"
	case errors.Is(err, ErrBadKey):
		return "a release public key is 44 characters of base64 (as printed by `stillbundle pubkey`), or a file holding one"
	}
	return ""
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
