package bundlecmd

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/terminal/bundle"
)

// ReleaseKeyEnv names the environment variable holding the path of the release signing key.
const ReleaseKeyEnv = "STILLPAY_RELEASE_KEY"

// DefaultDevKey is where the development signing key lives when ReleaseKeyEnv is unset.
const DefaultDevKey = "bin/release-dev.key"

// signingKey loads the release key from keyPath, or from $STILLPAY_RELEASE_KEY, or else loads or
// creates the development key at devPath, warning on w.
func signingKey(keyPath, devPath string, w io.Writer) (ed25519.PrivateKey, error) {
	if keyPath == "" {
		keyPath = os.Getenv(ReleaseKeyEnv)
	}
	if keyPath != "" {
		key, err := keyfile.Load(keyPath)
		if err != nil {
			return nil, fmt.Errorf("release signing key %s: %w", keyPath, err)
		}
		return key, nil
	}
	key, created, err := keyfile.LoadOrCreate(devPath)
	if err != nil {
		return nil, fmt.Errorf("development signing key %s: %w", devPath, err)
	}
	pub := key.Public().(ed25519.PublicKey)
	verb := "using"
	if created {
		verb = "created"
	}
	fmt.Fprintf(w, "WARNING: %s is not set: %s the DEVELOPMENT signing key %s.\n", ReleaseKeyEnv, verb, devPath)
	fmt.Fprintf(w, "WARNING: bundles signed with it are for test terminals only; never ship them to a shop.\n")
	fmt.Fprintf(w, "WARNING: development public key (key id %s): %s\n", bundle.KeyID(pub), bundle.EncodePublicKey(pub))
	fmt.Fprintf(w, "WARNING: test terminals accept these bundles with: posagent update --trusted-key %s ...\n", bundle.EncodePublicKey(pub))
	return key, nil
}
