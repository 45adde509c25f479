package wallet

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Store keeps the wallet's state. SaveAuthorization must be durable when it returns: NextCode shows
// a code only after it.
type Store interface {
	LoadSession() (Session, error) // ErrNotLoggedIn when there is none
	SaveSession(Session) error
	DeleteSession() error                      // forgets the login; no error when there is none
	LoadAuthorization() (Authorization, error) // ErrNotAuthorized when there is none
	SaveAuthorization(Authorization) error
	// UpdateAuthorization runs fn on the stored authorization and saves the result durably, as one
	// step that no other update (in this or another process) interleaves with. If fn fails,
	// nothing is saved.
	UpdateAuthorization(fn func(*Authorization) error) error
	// DeviceKey returns the device's Ed25519 key, creating it on first use.
	DeviceKey() (ed25519.PrivateKey, error)
	// LoadServerKeys returns the server keys the wallet trusts for orders (nil when none yet);
	// SaveServerKeys replaces them durably (serverkeys.go).
	LoadServerKeys() ([]protocol.ServerKey, error)
	SaveServerKeys([]protocol.ServerKey) error
}

// File names under a DirStore home. All are mode 0600 in a 0700 directory.
const (
	SessionFile       = "session.json"
	AuthorizationFile = "authorization.json"
	DeviceKeyFile     = "device.key"
	ServerKeysFile    = "server_keys.json"
	lockFileName      = ".lock"
)

// maxStateFile bounds what DirStore reads: an authorization with a few server keys is ~2 KiB.
const maxStateFile = 64 << 10

// DirStore keeps the state as files in a home directory, each written atomically (temp file, fsync,
// rename, fsync of the directory) by shared/keyfile and readable only by its owner.
type DirStore struct {
	Home string
}

var _ Store = DirStore{}

// LoadSession implements Store.
func (d DirStore) LoadSession() (Session, error) {
	var s Session
	return s, d.load(SessionFile, &s, ErrNotLoggedIn)
}

// SaveSession implements Store.
func (d DirStore) SaveSession(s Session) error { return d.save(SessionFile, s) }

// DeleteSession implements Store.
func (d DirStore) DeleteSession() error {
	if err := os.Remove(filepath.Join(d.Home, SessionFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("wallet: forget the session: %w", err)
	}
	return nil
}

// LoadAuthorization implements Store.
func (d DirStore) LoadAuthorization() (Authorization, error) {
	var a Authorization
	return a, d.load(AuthorizationFile, &a, ErrNotAuthorized)
}

// SaveAuthorization implements Store.
func (d DirStore) SaveAuthorization(a Authorization) error {
	return d.UpdateAuthorization(func(cur *Authorization) error {
		*cur = a
		return nil
	})
}

// UpdateAuthorization implements Store. An exclusive lock on a lock file in the home directory
// keeps two wallet processes from reading the same counter.
func (d DirStore) UpdateAuthorization(fn func(*Authorization) error) error {
	if err := os.MkdirAll(d.Home, 0o700); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	unlock, err := lockFile(filepath.Join(d.Home, lockFileName))
	if err != nil {
		return fmt.Errorf("wallet: lock %s: %w", d.Home, err)
	}
	defer unlock()
	var a Authorization
	if err := d.load(AuthorizationFile, &a, ErrNotAuthorized); err != nil && !errors.Is(err, ErrNotAuthorized) {
		return err
	}
	if err := fn(&a); err != nil {
		return err
	}
	return d.save(AuthorizationFile, a)
}

// DeviceKey implements Store.
func (d DirStore) DeviceKey() (ed25519.PrivateKey, error) {
	if err := os.MkdirAll(d.Home, 0o700); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	key, _, err := keyfile.LoadOrCreate(filepath.Join(d.Home, DeviceKeyFile))
	if err != nil {
		return nil, fmt.Errorf("wallet: device key: %w", err)
	}
	return key, nil
}

func (d DirStore) load(name string, v any, missing error) error {
	path := filepath.Join(d.Home, name)
	data, err := keyfile.ReadSecret(path, maxStateFile)
	if errors.Is(err, keyfile.ErrNotFound) {
		return missing
	}
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorruptState, path, err)
	}
	return nil
}

func (d DirStore) save(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if err := os.MkdirAll(d.Home, 0o700); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if err := keyfile.WriteSecret(filepath.Join(d.Home, name), append(data, '\n')); err != nil {
		return fmt.Errorf("wallet: save %s: %w", name, err)
	}
	return nil
}

// MemStore keeps the state in memory: for tests, and for apps that persist elsewhere. FailSave,
// when set (before the store is used), makes every save fail with it, to test what happens when the
// disk does.
type MemStore struct {
	mu       sync.Mutex
	session  *Session
	auth     *Authorization
	key      ed25519.PrivateKey
	keys     []protocol.ServerKey
	offers   []Offer
	FailSave error
}

var _ Store = (*MemStore)(nil)

// LoadSession implements Store.
func (m *MemStore) LoadSession() (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.session == nil {
		return Session{}, ErrNotLoggedIn
	}
	return *m.session, nil
}

// SaveSession implements Store.
func (m *MemStore) SaveSession(s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailSave != nil {
		return m.FailSave
	}
	m.session = &s
	return nil
}

// DeleteSession implements Store.
func (m *MemStore) DeleteSession() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.session = nil
	return nil
}

// LoadAuthorization implements Store.
func (m *MemStore) LoadAuthorization() (Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.auth == nil {
		return Authorization{}, ErrNotAuthorized
	}
	a := *m.auth
	a.Secret = append([]byte(nil), a.Secret...)
	a.Credential = append([]byte(nil), a.Credential...)
	return a, nil
}

// SaveAuthorization implements Store.
func (m *MemStore) SaveAuthorization(a Authorization) error {
	return m.UpdateAuthorization(func(cur *Authorization) error {
		*cur = a
		return nil
	})
}

// UpdateAuthorization implements Store.
func (m *MemStore) UpdateAuthorization(fn func(*Authorization) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var a Authorization
	if m.auth != nil {
		a = *m.auth
		a.Secret = append([]byte(nil), a.Secret...)
		a.Credential = append([]byte(nil), a.Credential...)
	}
	if err := fn(&a); err != nil {
		return err
	}
	if m.FailSave != nil {
		return m.FailSave
	}
	m.auth = &a
	return nil
}

// DeviceKey implements Store.
func (m *MemStore) DeviceKey() (ed25519.PrivateKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.key == nil {
		_, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		m.key = priv
	}
	return m.key, nil
}
