// Package keysync keeps the server signing keys of settlementd instances that share one database in
// step, so that `admin rotate-key` sent to any one of them rotates them all.
//
// The keys stay in each instance's data directory (server/keys); the shared store holds a copy of
// each, sealed with the seal key every instance holds (keys.Sealer.SealKey), so a database dump alone
// signs nothing. A rotation makes a new key endorsed by the current one, adds it to the local ring
// without making it current, and announces it with a CurrentFrom AnnounceRounds poll intervals
// ahead. Every instance polls the store: it adds keys it lacks (after checking their endorsement) and
// makes current the announced key with the latest CurrentFrom that has come. So every instance
// publishes the new key (GET /v1/keys, endorsed: terminals follow it) and can re-render approvals
// signed with it before any instance signs with it; a lookup of an unknown key id also polls at once.
package keysync

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/protocol"
)

// DefaultPoll is how often an instance looks for announced keys.
const DefaultPoll = 5 * time.Second

// AnnounceRounds is how many poll intervals after its announcement a new key becomes current: every
// instance has polled at least twice by then, once even if a poll fails.
const AnnounceRounds = 3

// opTimeout bounds one store call made on behalf of a request (a rotation, a lookup miss).
const opTimeout = 5 * time.Second

// Sealer seals and opens private keys for the store (keys.Sealer).
type Sealer interface {
	SealKey(priv []byte) ([]byte, error)
	OpenKey(sealed []byte) ([]byte, error)
}

// Sync is a key ring kept in step with the other instances. It implements service.Signer.
type Sync struct {
	ring   *keys.Ring
	st     store.ServerKeyStore
	sealer Sealer
	poll   time.Duration
	clock  clock.Clock
	log    *slog.Logger
}

// New returns a Sync of ring through st, polling every poll (DefaultPoll if 0).
func New(ring *keys.Ring, st store.ServerKeyStore, sealer Sealer, poll time.Duration, log *slog.Logger) *Sync {
	if poll <= 0 {
		poll = DefaultPoll
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sync{ring: ring, st: st, sealer: sealer, poll: poll, clock: clock.Real{}, log: log}
}

// Start announces the local keys the store lacks (the first instance on a database announces its
// keys, each current from its creation) and takes in the announced ones. Call it before serving.
func (s *Sync) Start(ctx context.Context) error {
	announced, err := s.st.ServerKeys(ctx)
	if err != nil {
		return fmt.Errorf("keysync: %w", err)
	}
	have := map[string]bool{}
	for _, k := range announced {
		have[k.KeyID] = true
	}
	for _, k := range s.ring.Public() {
		if have[k.KeyID] {
			continue
		}
		priv, _ := s.ring.Private(k.KeyID)
		if err := s.announce(ctx, k, priv, k.Created); err != nil {
			return err
		}
	}
	return s.Sync(ctx)
}

// Sync adds the announced keys the ring lacks and makes current the announced key whose CurrentFrom
// is the latest that has come.
func (s *Sync) Sync(ctx context.Context) error {
	announced, err := s.st.ServerKeys(ctx)
	if err != nil {
		return fmt.Errorf("keysync: %w", err)
	}
	now := s.clock.Now()
	current := ""
	for _, k := range announced { // by CurrentFrom: endorsers come before the keys they endorse
		if _, ok := s.ring.Private(k.KeyID); !ok {
			if err := s.add(k); err != nil {
				s.log.Error("keysync: an announced key cannot be used", "key_id", k.KeyID, "err", err)
				continue
			}
		}
		if !k.CurrentFrom.After(now) {
			current = k.KeyID
		}
	}
	if cur, _ := s.ring.Current(); current != "" && current != cur {
		return s.ring.SetCurrent(current)
	}
	return nil
}

// add opens an announced key and adds it to the ring.
func (s *Sync) add(k store.ServerKey) error {
	raw, err := s.sealer.OpenKey(k.Sealed)
	if err != nil {
		return fmt.Errorf("%w (is this instance's seal.key the same as the others'?)", err)
	}
	return s.ring.Add(protocol.ServerKey{KeyID: k.KeyID, Created: k.Created, EndorsedBy: k.EndorsedBy, Endorsement: k.Endorsement},
		ed25519.PrivateKey(raw))
}

func (s *Sync) announce(ctx context.Context, k protocol.ServerKey, priv ed25519.PrivateKey, from time.Time) error {
	sealed, err := s.sealer.SealKey(priv)
	if err != nil {
		return err
	}
	err = s.st.PutServerKey(ctx, store.ServerKey{KeyID: k.KeyID, Created: k.Created, Sealed: sealed,
		EndorsedBy: k.EndorsedBy, Endorsement: k.Endorsement, CurrentFrom: from})
	if err != nil {
		return fmt.Errorf("keysync: announce %s: %w", k.KeyID, err)
	}
	return nil
}

// Run polls until ctx ends. A failed poll (the database failing over) is logged and tried again.
func (s *Sync) Run(ctx context.Context) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("keysync: poll failed", "err", err)
			}
		}
	}
}

// Rotate makes a new key, endorsed by the current one, and announces it to every instance: all of
// them sign with it from AnnounceRounds poll intervals on. The key returned is not current yet.
func (s *Sync) Rotate() (protocol.ServerKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	k, priv, err := s.ring.Prepare()
	if err != nil {
		return protocol.ServerKey{}, err
	}
	from := s.clock.Now().Add(AnnounceRounds * s.poll)
	if err := s.announce(ctx, k, priv, from); err != nil {
		return protocol.ServerKey{}, err
	}
	s.log.Info("server signing key announced", "key_id", k.KeyID, "current_from", from)
	return k, nil
}

// Current is the key that signs now.
func (s *Sync) Current() (string, ed25519.PrivateKey) { return s.ring.Current() }

// Public lists every key, the current one marked.
func (s *Sync) Public() []protocol.ServerKey { return s.ring.Public() }

// Private returns the key with id; one the ring lacks is looked for in the store at once (another
// instance may have announced it since the last poll).
func (s *Sync) Private(id string) (ed25519.PrivateKey, bool) {
	if k, ok := s.ring.Private(id); ok {
		return k, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.Sync(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("keysync: lookup of an unknown key failed", "key_id", id, "err", err)
	}
	return s.ring.Private(id)
}
