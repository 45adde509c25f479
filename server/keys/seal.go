package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// ErrSealed is returned when sealed bytes do not open: wrong key, or damaged.
var ErrSealed = errors.New("keys: sealed secret does not open")

// sealKeySize is an AES-256 key.
const sealKeySize = 32

// sealContext binds sealed secrets to their use, so bytes sealed for something else never open here.
var sealContext = []byte("stillpay-otp-secret-v1")

// keyContext is the use of sealed server signing keys, announced through a shared database.
var keyContext = []byte("stillpay-server-key-v1")

// Sealer encrypts the per-authorization OTP secrets before they reach the store, so a copy of the
// database (a backup, a PostgreSQL replica) holds no usable secret without the data dir's seal key.
//
// The same seal key also yields the secret that terminal session keys are derived from
// (TerminalSessionKey), so those too exist only where the seal key is.
type Sealer struct {
	aead    cipher.AEAD
	session []byte // HKDF of the seal key for terminal sessions
}

// sessionSecretInfo is the HKDF label of the terminal-session secret.
const sessionSecretInfo = "stillpay-terminal-session-secret-v1"

// OpenSealer loads the seal key at path, creating a random one (mode 0600) the first time.
func OpenSealer(path string) (*Sealer, error) {
	key, err := keyfile.ReadSecret(path, sealKeySize)
	if errors.Is(err, keyfile.ErrNotFound) {
		key = make([]byte, sealKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("keys: seal key: %w", err)
		}
		if err := keyfile.WriteSecret(path, key); err != nil {
			return nil, fmt.Errorf("keys: seal key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("keys: seal key: %w", err)
	}
	if len(key) != sealKeySize {
		return nil, fmt.Errorf("keys: seal key %s has %d bytes, want %d", path, len(key), sealKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keys: seal key: %w", err)
	}
	session, err := hkdf.Key(sha256.New, key, nil, sessionSecretInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("keys: seal key: %w", err)
	}
	return &Sealer{aead: aead, session: session}, nil
}

// Seal encrypts plain with a fresh random nonce, which it prepends.
func (s *Sealer) Seal(plain []byte) ([]byte, error) { return s.seal(plain, sealContext) }

// Open decrypts what Seal returned.
func (s *Sealer) Open(sealed []byte) ([]byte, error) { return s.open(sealed, sealContext) }

// SealKey seals a server signing key for the shared database (server/keysync); only OpenKey opens
// it, with the same seal key.
func (s *Sealer) SealKey(priv []byte) ([]byte, error) { return s.seal(priv, keyContext) }

// OpenKey opens what SealKey returned.
func (s *Sealer) OpenKey(sealed []byte) ([]byte, error) { return s.open(sealed, keyContext) }

func (s *Sealer) seal(plain, context []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keys: seal: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, context), nil
}

func (s *Sealer) open(sealed, context []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrSealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], context)
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// TerminalSessionKey is the key of a terminal's session (docs/protocol.md, "Terminal sessions"):
// HMAC-SHA-256 under the session secret of the terminal id, its Ed25519 public key and the session
// id. Nothing of it is stored: whoever holds the seal key can derive it, nobody else can.
//
// The server derives it for every MAC'd request, so the input is built on the stack (ids longer than
// the buffer go to the heap) and MAC'd by otp.HMACSHA256, which allocates nothing; the returned key
// is the one allocation left (crypto/hmac.New allocated its state, both pads and two digests).
func (s *Sealer) TerminalSessionKey(terminalID string, terminalKey []byte, sessionID string) []byte {
	var buf [sessionKeyInputBufSize]byte
	key := new([sha256.Size]byte)
	otp.HMACSHA256(key, s.session, protocol.AppendSessionKeyInput(buf[:0], terminalID, terminalKey, sessionID))
	return key[:]
}

// sessionKeyInputBufSize holds protocol.SessionKeyInput for the longest ids a request carries: the
// context (29 bytes), a 64-byte terminal id, a 32-byte Ed25519 key, a 64-byte session header and
// their three one-byte lengths are 192 bytes.
const sessionKeyInputBufSize = 256
