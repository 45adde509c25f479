package keys

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Errors from Open and Rotate. Test with errors.Is.
var (
	ErrManifest   = errors.New("keys: manifest is malformed")
	ErrMissingKey = errors.New("keys: manifest names a key file that is missing")
	// ErrUnendorsed: Add was given a key that no key in the ring endorses.
	ErrUnendorsed = errors.New("keys: key is not endorsed by a key in the ring")
)

// manifestName is the file in the key directory that lists the keys and names the current one.
const manifestName = "manifest.json"

// maxManifestBytes bounds what Open reads; a manifest lists a few dozen keys at most.
const maxManifestBytes = 1 << 20

// keyIDPattern is what a key id looks like: ids become file names, so nothing else is accepted, and
// they must fit credential.MaxKeyIDLen.
var keyIDPattern = regexp.MustCompile(`^k-[0-9a-f]{12}$`)

type manifest struct {
	Current string          `json:"current"`
	Keys    []manifestEntry `json:"keys"`
}

type manifestEntry struct {
	KeyID   string    `json:"key_id"`
	Created time.Time `json:"created"`
	// EndorsedBy and Endorsement are the previous current key's signature over this key (see
	// protocol.EndorseKey); empty for the first key and for keys made before endorsements existed.
	EndorsedBy  string `json:"endorsed_by,omitempty"`
	Endorsement []byte `json:"endorsement,omitempty"`
}

type entry struct {
	id          string
	created     time.Time
	priv        ed25519.PrivateKey
	endorsedBy  string
	endorsement []byte
}

// Ring is the set of server keys. It is safe for concurrent use; Rotate takes effect at once for
// every later signature.
type Ring struct {
	dir string
	log *slog.Logger
	now func() time.Time

	mu      sync.RWMutex
	keys    []entry // oldest first
	current int     // index into keys
}

// KeyID derives a key's id from its public key, so an id can never name two different keys.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "k-" + hex.EncodeToString(sum[:6])
}

// Open loads the keys in dir, creating dir and a first key when there are none.
func Open(dir string, log *slog.Logger) (*Ring, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Ring{dir: dir, log: log, now: time.Now}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	raw, err := keyfile.ReadSecret(filepath.Join(dir, manifestName), maxManifestBytes)
	switch {
	case errors.Is(err, keyfile.ErrNotFound):
		if _, err := r.Rotate(); err != nil {
			return nil, err
		}
		log.Info("created the first server signing key", "key_id", r.keys[0].id, "dir", dir)
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("keys: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	r.current = -1
	for _, e := range m.Keys {
		if !keyIDPattern.MatchString(e.KeyID) {
			return nil, fmt.Errorf("%w: key id %q", ErrManifest, e.KeyID)
		}
		priv, err := keyfile.Load(filepath.Join(dir, e.KeyID+".key"))
		if errors.Is(err, keyfile.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrMissingKey, e.KeyID)
		}
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		if got := KeyID(priv.Public().(ed25519.PublicKey)); got != e.KeyID {
			return nil, fmt.Errorf("%w: file %s.key holds key %s", ErrManifest, e.KeyID, got)
		}
		if e.KeyID == m.Current {
			r.current = len(r.keys)
		}
		r.keys = append(r.keys, entry{id: e.KeyID, created: e.Created, priv: priv, endorsedBy: e.EndorsedBy, endorsement: e.Endorsement})
	}
	if r.current < 0 {
		return nil, fmt.Errorf("%w: current key %q is not listed", ErrManifest, m.Current)
	}
	if err := r.checkEndorsements(); err != nil {
		return nil, err
	}
	return r, nil
}

// checkEndorsements verifies the stored endorsements and gives every key after the first that has
// none (a ring made before keys were endorsed) the endorsement of the key before it. Ed25519 is
// deterministic, so the filled-in endorsement is the same on every start; the next Rotate stores it.
func (r *Ring) checkEndorsements() error {
	for i := range r.keys {
		e := &r.keys[i]
		if e.endorsedBy == "" && len(e.endorsement) == 0 {
			if i > 0 {
				prev := r.keys[i-1]
				k := protocol.EndorseKey(r.bare(i), prev.id, prev.priv)
				e.endorsedBy, e.endorsement = k.EndorsedBy, k.Endorsement
			}
			continue
		}
		by, ok := r.privateLocked(e.endorsedBy)
		if !ok {
			return fmt.Errorf("%w: key %s is endorsed by %q, which is not in the ring", ErrManifest, e.id, e.endorsedBy)
		}
		k := r.bare(i)
		k.EndorsedBy, k.Endorsement = e.endorsedBy, e.endorsement
		if err := protocol.VerifyEndorsement(k, by.Public().(ed25519.PublicKey)); err != nil {
			return fmt.Errorf("%w: key %s: %w", ErrManifest, e.id, err)
		}
	}
	return nil
}

// bare is key i's public half without endorsement or current flag: what an endorsement covers.
func (r *Ring) bare(i int) protocol.ServerKey {
	e := r.keys[i]
	return protocol.ServerKey{KeyID: e.id, PublicKey: []byte(e.priv.Public().(ed25519.PublicKey)), Created: e.created}
}

// Rotate creates a new key and makes it current. The old keys stay: they still verify, and stored
// approvals they signed still render. The new key is endorsed by the key current until now, so
// terminals that trust that key can trust the new one (protocol.AcceptKeys). The key file is written
// before the manifest, so a crash between the two leaves the old key current and an unused file
// behind.
func (r *Ring) Rotate() (protocol.ServerKey, error) {
	k, _, err := r.newKey(true)
	return k, err
}

// Prepare creates a new key endorsed by the current one and adds it to the ring without making it
// current: instances sharing a database announce it to each other (server/keysync) before any of
// them signs with it.
func (r *Ring) Prepare() (protocol.ServerKey, ed25519.PrivateKey, error) {
	return r.newKey(false)
}

func (r *Ring) newKey(current bool) (protocol.ServerKey, ed25519.PrivateKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var priv ed25519.PrivateKey
	var id string
	for {
		pub, p, err := ed25519.GenerateKey(nil)
		if err != nil {
			return protocol.ServerKey{}, nil, fmt.Errorf("keys: generate: %w", err)
		}
		priv, id = p, KeyID(pub)
		if _, err := os.Stat(filepath.Join(r.dir, id+".key")); errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	created := r.now().UTC().Truncate(time.Second)
	ne := entry{id: id, created: created, priv: priv}
	if len(r.keys) > 0 {
		cur := r.keys[r.current]
		k := protocol.EndorseKey(protocol.ServerKey{KeyID: id, PublicKey: []byte(priv.Public().(ed25519.PublicKey)), Created: created}, cur.id, cur.priv)
		ne.endorsedBy, ne.endorsement = k.EndorsedBy, k.Endorsement
	}
	if err := r.addLocked(ne, current); err != nil {
		return protocol.ServerKey{}, nil, err
	}
	r.log.Info("server signing key created", "key_id", id, "current", current, "keys", len(r.keys))
	return r.publicLocked(len(r.keys) - 1), priv, nil
}

// Add puts a key made by another instance into the ring, not current: k says its id, creation time
// and endorsement, priv is the private key. The id must be priv's, and the endorsement must verify
// with a key already in the ring. Adding a key the ring holds does nothing.
func (r *Ring) Add(k protocol.ServerKey, priv ed25519.PrivateKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(priv) != ed25519.PrivateKeySize || KeyID(priv.Public().(ed25519.PublicKey)) != k.KeyID {
		return fmt.Errorf("%w: key %q does not match its private key", ErrManifest, k.KeyID)
	}
	if _, ok := r.privateLocked(k.KeyID); ok {
		return nil
	}
	by, ok := r.privateLocked(k.EndorsedBy)
	if !ok {
		return fmt.Errorf("%w: key %s is endorsed by %q, which is not in the ring", ErrUnendorsed, k.KeyID, k.EndorsedBy)
	}
	bare := protocol.ServerKey{KeyID: k.KeyID, PublicKey: []byte(priv.Public().(ed25519.PublicKey)), Created: k.Created.UTC(),
		EndorsedBy: k.EndorsedBy, Endorsement: k.Endorsement}
	if err := protocol.VerifyEndorsement(bare, by.Public().(ed25519.PublicKey)); err != nil {
		return fmt.Errorf("%w: key %s: %w", ErrUnendorsed, k.KeyID, err)
	}
	if err := r.addLocked(entry{id: k.KeyID, created: k.Created.UTC(), priv: priv, endorsedBy: k.EndorsedBy, endorsement: k.Endorsement}, false); err != nil {
		return err
	}
	r.log.Info("server signing key added", "key_id", k.KeyID, "keys", len(r.keys))
	return nil
}

// SetCurrent makes the key id, already in the ring, the one that signs from now on.
func (r *Ring) SetCurrent(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range r.keys {
		if e.id != id {
			continue
		}
		if i == r.current {
			return nil
		}
		if err := r.writeManifestLocked(r.keys, i); err != nil {
			return err
		}
		r.current = i
		r.log.Info("server signing key now current", "key_id", id)
		return nil
	}
	return fmt.Errorf("%w: %s", ErrMissingKey, id)
}

// addLocked writes e's key file (first) and a manifest listing it, then adds it to the ring, current
// or not.
func (r *Ring) addLocked(e entry, current bool) error {
	if err := keyfile.Save(filepath.Join(r.dir, e.id+".key"), e.priv); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	keys := append(append([]entry(nil), r.keys...), e)
	cur := r.current
	if current || len(r.keys) == 0 {
		cur = len(keys) - 1
	}
	if err := r.writeManifestLocked(keys, cur); err != nil {
		return err
	}
	r.keys, r.current = keys, cur
	return nil
}

// writeManifestLocked writes the manifest for keys with keys[current] current.
func (r *Ring) writeManifestLocked(keys []entry, current int) error {
	m := manifest{Current: keys[current].id}
	for _, e := range keys {
		m.Keys = append(m.Keys, manifestEntry{KeyID: e.id, Created: e.created, EndorsedBy: e.endorsedBy, Endorsement: e.endorsement})
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := keyfile.WriteSecret(filepath.Join(r.dir, manifestName), append(raw, '\n')); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

// Current returns the key that signs new credentials and approvals.
func (r *Ring) Current() (keyID string, key ed25519.PrivateKey) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e := r.keys[r.current]
	return e.id, e.priv
}

// Private returns the private key with the given id, current or retired, to re-render a stored
// approval exactly as it was first signed.
func (r *Ring) Private(keyID string) (ed25519.PrivateKey, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.privateLocked(keyID)
}

func (r *Ring) privateLocked(keyID string) (ed25519.PrivateKey, bool) {
	for _, e := range r.keys {
		if e.id == keyID {
			return e.priv, true
		}
	}
	return nil, false
}

// Public lists every key's public half, oldest first, the current one marked, with the endorsements
// that let a client follow rotations.
func (r *Ring) Public() []protocol.ServerKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]protocol.ServerKey, len(r.keys))
	for i := range r.keys {
		out[i] = r.publicLocked(i)
	}
	return out
}

func (r *Ring) publicLocked(i int) protocol.ServerKey {
	k := r.bare(i)
	k.Current = i == r.current
	k.EndorsedBy, k.Endorsement = r.keys[i].endorsedBy, r.keys[i].endorsement
	return k
}
