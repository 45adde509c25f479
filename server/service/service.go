package service

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Signer is the server's key ring (server/keys.Ring): the current key for new signatures, every key
// by id for re-rendering stored answers, and the public halves for clients.
type Signer interface {
	Current() (keyID string, key ed25519.PrivateKey)
	Private(keyID string) (ed25519.PrivateKey, bool)
	Public() []protocol.ServerKey
	Rotate() (protocol.ServerKey, error)
}

// SecretSealer encrypts OTP secrets before they are stored (server/keys.Sealer).
type SecretSealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// Config is what a Service needs.
type Config struct {
	Store  store.Store
	Keys   Signer
	Sealer SecretSealer
	Clock  clock.Clock  // nil means clock.Real
	Log    *slog.Logger // nil discards
	Policy Policy       // zero means DefaultPolicy()
	// PasswordHashes and PasswordQueue bound concurrent argon2id hashes and the logins waiting for
	// one; zero means DefaultPasswordHashes and DefaultPasswordQueue (see hashGate).
	PasswordHashes, PasswordQueue int
	// Push sends Web Push notifications of new offers (nil: none; the push routes answer 404).
	Push *push.Sender
	// PushLoopback accepts http endpoints on 127.0.0.1 and localhost (tests' push receivers only).
	PushLoopback bool
}

// Service is settlementd's business logic. It keeps no state of its own beyond caches of immutable
// data: everything that several instances must share lives in the store.
type Service struct {
	store  store.Store
	keys   Signer
	sealer SecretSealer
	clock  clock.Clock
	log    *slog.Logger
	policy Policy
	gate   *hashGate

	orderWatch orderWatch // wakes order long-polls (orderwatch.go)
	offers     OfferPolicy
	inbox      notifier // wakes inbox long-polls (offers.go)

	push         *push.Sender // push.go
	pushLoopback bool

	groups approvalGroups // signs single answers' approvals together (signgroup.go)
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Sealer == nil {
		return nil, errors.New("service: Store, Keys and Sealer are required")
	}
	s := &Service{store: cfg.Store, keys: cfg.Keys, sealer: cfg.Sealer, clock: clock.Or(cfg.Clock), log: cfg.Log, policy: cfg.Policy,
		gate:   newHashGate(cfg.PasswordHashes, cfg.PasswordQueue),
		offers: cfg.Policy.Offers.withDefaults(), push: cfg.Push, pushLoopback: cfg.PushLoopback}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.policy == (Policy{}) {
		s.policy = DefaultPolicy()
	}
	return s, nil
}

// Now is the service clock, for handlers that answer with the time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// ServerKeys lists the server's public keys.
func (s *Service) ServerKeys() []protocol.ServerKey { return s.keys.Public() }

// SweepInterval is how often RunSweeper releases expired holds and forgets old nonces and sessions.
const SweepInterval = time.Minute

// RunSweeper calls Sweep every SweepInterval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context) {
	t := time.NewTicker(SweepInterval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep releases the holds of authorizations past expiry or revocation plus the settlement grace.
func (s *Service) Sweep(ctx context.Context) (store.SweepReport, error) {
	rep, err := s.store.Sweep(ctx, s.clock.Now(), s.policy.SettlementGrace)
	if err != nil {
		return rep, fmt.Errorf("service: sweep: %w", err)
	}
	if rep.HoldsReleased > 0 {
		s.log.Info("released expired holds", "holds", rep.HoldsReleased, "minor", rep.ReleasedMinor)
	}
	return rep, nil
}

// Store is the underlying store, for plain admin listings that need no business rules.
func (s *Service) Store() store.Store { return s.store }
