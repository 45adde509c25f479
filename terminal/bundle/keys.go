package bundle

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// signingContext separates bundle signatures from every other Ed25519 signature in stillpay (requests,
// approvals, credentials), so no other signed message can pass for a bundle.
const signingContext = "stillpay-bundle-v1\x00"

// signatureHeader is the first line of SHA256SUMS.sig.
const signatureHeader = "stillpay bundle signature v1"

// maxKeyFileSize bounds a public key file read by LoadPublicKeys.
const maxKeyFileSize = 16 << 10

// EncodePublicKey renders a release public key as text: standard base64, 44 characters.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// KeyID is a short, stable name for a public key: the first 8 bytes of its SHA-256, in hex. Bundles
// carry it so that a refusal can say which key signed them; it is never used to pick a key to trust.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ParsePublicKey reads a public key written by EncodePublicKey (base64) or as 64 hex digits.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	shown := s
	if len(shown) > 20 {
		shown = shown[:20] + "..."
	}
	return nil, fmt.Errorf("%w: %q is not a base64 (44 characters) or hex (64 digits) Ed25519 public key", ErrBadKey, shown)
}

// ParseTrustedKeys reads each argument as a public key, or, when it names an existing file, as a file
// of public keys (one a line; blank lines and # comments are skipped). Empty arguments are ignored, so a
// comma-separated -ldflags list can be split and passed as it is.
func ParseTrustedKeys(args []string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, a := range args {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if k, err := ParsePublicKey(a); err == nil {
			keys = append(keys, k)
			continue
		} else if _, statErr := os.Stat(a); statErr != nil {
			return nil, err // neither a key nor a file: report it as a key
		}
		fileKeys, err := loadPublicKeyFile(a)
		if err != nil {
			return nil, err
		}
		keys = append(keys, fileKeys...)
	}
	return keys, nil
}

func loadPublicKeyFile(path string) ([]ed25519.PublicKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s is not a public key file (a regular file under %d bytes)", ErrBadKey, path, maxKeyFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	var keys []ed25519.PublicKey
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := ParsePublicKey(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s holds no public key", ErrBadKey, path)
	}
	return keys, nil
}

// sign makes the contents of SHA256SUMS.sig for the given SHA256SUMS bytes.
func sign(key ed25519.PrivateKey, sums []byte) []byte {
	pub := key.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(key, append([]byte(signingContext), sums...))
	return []byte(renderSignature(KeyID(pub), sig))
}

func renderSignature(keyID string, sig []byte) string {
	return signatureHeader + "\nkey-id: " + keyID + "\nsignature: " + base64.StdEncoding.EncodeToString(sig) + "\n"
}

// verifySignature checks SHA256SUMS.sig over sums against the trusted keys and returns the id of the
// key that verified it. The key id in the file only chooses the error message.
func verifySignature(sigFile, sums []byte, trusted []ed25519.PublicKey) (string, error) {
	if len(trusted) == 0 {
		return "", ErrNoTrustedKeys
	}
	keyID, sig, err := parseSignature(sigFile)
	if err != nil {
		return "", err
	}
	msg := append([]byte(signingContext), sums...)
	ids := make([]string, 0, len(trusted))
	for _, k := range trusted {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, msg, sig) {
			if KeyID(k) != keyID {
				// The key id is not signed; refusing a changed one keeps "any changed byte is refused" true.
				return "", fmt.Errorf("%w: %s names key %s but was made by key %s", ErrBadSignature, SignatureName, keyID, KeyID(k))
			}
			return keyID, nil
		}
		ids = append(ids, KeyID(k))
	}
	for _, id := range ids {
		if id == keyID {
			return "", fmt.Errorf("%w: %s or %s was changed after signing with key %s", ErrBadSignature, SumsName, SignatureName, keyID)
		}
	}
	return "", fmt.Errorf("%w: signed by key %s; trusted keys: %s", ErrUntrustedKey, keyID, strings.Join(ids, ", "))
}

func parseSignature(b []byte) (keyID string, sig []byte, err error) {
	if len(b) > MaxSignatureSize {
		return "", nil, fmt.Errorf("%w: %s is %d bytes", ErrBadSignature, SignatureName, len(b))
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 || lines[0] != signatureHeader ||
		!strings.HasPrefix(lines[1], "key-id: ") || !strings.HasPrefix(lines[2], "signature: ") {
		return "", nil, fmt.Errorf("%w: %s is not a stillpay bundle signature", ErrBadSignature, SignatureName)
	}
	keyID = strings.TrimPrefix(lines[1], "key-id: ")
	if _, err := hex.DecodeString(keyID); err != nil || len(keyID) != 16 {
		return "", nil, fmt.Errorf("%w: %s key id %q", ErrBadSignature, SignatureName, keyID)
	}
	sig, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[2], "signature: "))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "", nil, fmt.Errorf("%w: %s signature is not base64 Ed25519", ErrBadSignature, SignatureName)
	}
	// Only the exact bytes sign writes are accepted: no second encoding of the same signature.
	if string(b) != renderSignature(keyID, sig) {
		return "", nil, fmt.Errorf("%w: %s is not in canonical form", ErrBadSignature, SignatureName)
	}
	return keyID, sig, nil
}
