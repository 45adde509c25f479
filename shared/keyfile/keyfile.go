// Package keyfile stores Ed25519 private keys and other secrets in files that only their owner can
// read (mode 0600), written atomically, and refuses to load a key file that others can read.
package keyfile

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Errors returned by Load and Create. Test with errors.Is.
var (
	ErrNotFound    = errors.New("keyfile: no key file")
	ErrPermissions = errors.New("keyfile: key file is readable by others")
	ErrMalformed   = errors.New("keyfile: not an Ed25519 key file")
	ErrExists      = errors.New("keyfile: key file already exists")
)

const pemType = "STILLPAY ED25519 PRIVATE KEY"

// maxKeyFile bounds what Load reads: a PEM seed is about 120 bytes.
const maxKeyFile = 4 << 10

// Create makes a new key and writes it to path with mode 0600. It refuses to overwrite.
func Create(path string) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keyfile: generate: %w", err)
	}
	if err := Save(path, priv); err != nil {
		return nil, err
	}
	return priv, nil
}

// LoadOrCreate loads the key at path, or creates it when there is none.
func LoadOrCreate(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = Load(path)
	if errors.Is(err, ErrNotFound) {
		key, err = Create(path)
		return key, err == nil, err
	}
	return key, false, err
}

// Save writes key to path atomically (temp file, fsync, rename, fsync dir) with mode 0600.
func Save(path string, key ed25519.PrivateKey) error {
	data := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: key.Seed()})
	return WriteSecret(path, data)
}

// WriteSecret writes data to path atomically with mode 0600.
func WriteSecret(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("keyfile: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("keyfile: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keyfile: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ReadSecret reads a secret file of at most limit bytes, refusing one that group or others can read.
func ReadSecret(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run: chmod 600 %s", ErrPermissions, path, st.Mode().Perm(), path)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrMalformed, path, st.Size())
	}
	buf := make([]byte, st.Size())
	if _, err := f.ReadAt(buf, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("keyfile: read %s: %w", path, err)
	}
	return buf, nil
}

// Load reads an Ed25519 private key written by Save.
func Load(path string) (ed25519.PrivateKey, error) {
	data, err := ReadSecret(path, maxKeyFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType || len(block.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, path)
	}
	return ed25519.NewKeyFromSeed(block.Bytes), nil
}
