package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/stillpay/stillpay/shared/keyfile"
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
type Sealer struct {
	aead cipher.AEAD
}

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
	return &Sealer{aead: aead}, nil
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
