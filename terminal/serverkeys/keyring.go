package serverkeys

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/protocol"
)

// ErrUntrustedKey means a server key id could not be tied to a key the terminal trusts: the server
// does not list it, it is not endorsed, or the server could not be asked. Test with errors.Is.
var ErrUntrustedKey = errors.New("serverkeys: server key is not trusted")

// MinRefreshInterval is how often the routine refreshes (start-up, network back) may fetch the
// server's keys. A rotation is rare; an approval by an unknown key fetches at once anyway.
const MinRefreshInterval = 5 * time.Minute

// Server is the part of the settlement client that lists the server's keys.
type Server interface {
	Keys(ctx context.Context) ([]protocol.ServerKey, error)
}

// Options configures a Keyring.
type Options struct {
	// Trusted are the keys the terminal trusts now: those of its identity file.
	Trusted []protocol.ServerKey
	// Server lists the server's keys; nil: the keyring never learns new keys.
	Server Server
	// Save stores the trusted keys durably before they are used (config.SaveServerKeys).
	Save   func(keys []protocol.ServerKey) error
	Clock  clock.Clock
	Logger *slog.Logger
}

// Keyring is the server keys the terminal trusts. It is safe for concurrent use: sales, offline
// checks and the forwarder share one.
type Keyring struct {
	opt Options
	log *slog.Logger

	mu   sync.RWMutex
	keys []protocol.ServerKey
	byID credential.KeySet

	// fetchMu serializes fetches, so two sales that meet the same new key fetch once.
	fetchMu sync.Mutex
	lastOK  time.Time // last fetch that got an answer; guarded by fetchMu
}

// New returns a Keyring trusting opt.Trusted.
func New(opt Options) *Keyring {
	opt.Clock = clock.Or(opt.Clock)
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{opt: opt, log: opt.Logger}
	k.set(opt.Trusted)
	return k
}

func (k *Keyring) set(keys []protocol.ServerKey) {
	keys = slices.Clone(keys)
	byID := credential.KeySetFrom(keys)
	k.mu.Lock()
	k.keys, k.byID = keys, byID
	k.mu.Unlock()
}

// Keys returns a copy of the trusted keys.
func (k *Keyring) Keys() []protocol.ServerKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Clone(k.keys)
}

// Lookup returns the trusted public key named keyID; it fits offline.KeyLookup.
func (k *Keyring) Lookup(keyID string) (ed25519.PublicKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.byID.Lookup(keyID)
}

// VerifyApproval checks sa against the trusted keys (protocol.VerifyApproval).
func (k *Keyring) VerifyApproval(sa protocol.SignedApproval) (protocol.Approval, error) {
	k.mu.RLock()
	keys := k.keys
	k.mu.RUnlock()
	return protocol.VerifyApproval(sa, keys) // keys is never changed in place, only replaced
}

// Learn makes sure keyID is trusted, fetching the server's keys if it is not. It returns an error
// wrapping ErrUntrustedKey, with the reason, if the key cannot be trusted.
func (k *Keyring) Learn(ctx context.Context, keyID string) error {
	if _, ok := k.Lookup(keyID); ok {
		return nil
	}
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	if _, ok := k.Lookup(keyID); ok {
		return nil // learned by a fetch that finished while this one waited
	}
	_, rejected, err := k.fetchLocked(ctx, fmt.Sprintf("an approval is signed by unknown key %q", keyID))
	if _, ok := k.Lookup(keyID); ok {
		return nil // trusted, even if saving it failed: it is endorsed all the same
	}
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrUntrustedKey, keyID, err)
	}
	var rej *protocol.KeyRejectedError
	for _, e := range unjoin(rejected) {
		if errors.As(e, &rej) && rej.KeyID == keyID {
			return fmt.Errorf("%w: %w", ErrUntrustedKey, rej)
		}
	}
	if errors.Is(rejected, protocol.ErrKeyConflict) {
		return fmt.Errorf("%w: %q: the server's key list was refused: %w", ErrUntrustedKey, keyID, rejected)
	}
	return fmt.Errorf("%w: %q: the server does not list it", ErrUntrustedKey, keyID)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// Refresh fetches the server's keys now and trusts the endorsed new ones. It returns their ids.
func (k *Keyring) Refresh(ctx context.Context, reason string) ([]string, error) {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	added, _, err := k.fetchLocked(ctx, reason)
	return added, err
}

// RefreshIfDue is Refresh unless a fetch got an answer within MinRefreshInterval; then it does
// nothing. A failed fetch does not count, so the next chance (the network coming back) tries again.
func (k *Keyring) RefreshIfDue(ctx context.Context, reason string) ([]string, error) {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	if !k.lastOK.IsZero() && k.opt.Clock.Now().Sub(k.lastOK) < MinRefreshInterval {
		return nil, nil
	}
	added, _, err := k.fetchLocked(ctx, reason)
	return added, err
}

// fetchLocked asks the server for its keys and trusts what AcceptKeys accepts: saved first, then
// used. rejected reports the offered keys that were not accepted; err a failed fetch or save.
func (k *Keyring) fetchLocked(ctx context.Context, reason string) (added []string, rejected, err error) {
	if k.opt.Server == nil {
		return nil, nil, errors.New("serverkeys: no server to fetch keys from")
	}
	offered, err := k.opt.Server.Keys(ctx)
	if err != nil {
		k.log.Warn("could not fetch the server's keys", "reason", reason, "err", err)
		return nil, nil, fmt.Errorf("fetching the server's keys: %w", err)
	}
	k.lastOK = k.opt.Clock.Now()
	merged, added, rejected := protocol.AcceptKeys(k.Keys(), offered)
	if rejected != nil {
		k.log.Warn("the server lists keys this terminal does not trust; they are ignored", "reason", reason, "err", rejected)
	}
	if len(added) == 0 {
		k.log.Debug("server keys checked; nothing new", "reason", reason, "keys", len(merged))
		return nil, rejected, nil
	}
	if k.opt.Save != nil {
		if err = k.opt.Save(merged); err != nil {
			// The keys are endorsed, so they are used anyway; the next start fetches them again.
			k.log.Error("could not save the new server keys to the identity file", "added", added, "err", err)
			err = fmt.Errorf("saving the server keys: %w", err)
		}
	}
	k.set(merged)
	k.log.Info("trusting new server keys endorsed by a trusted key", "reason", reason, "added", added, "keys", len(merged))
	return added, rejected, err
}
