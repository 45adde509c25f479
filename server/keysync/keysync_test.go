package keysync

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/store/memstore"
	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/protocol"
)

// instance is one settlementd's keys on a shared store.
func instance(t *testing.T, st *memstore.Store, sealKey string, clock *clocktest.Fake, from string) (*Sync, string) {
	t.Helper()
	dir := t.TempDir()
	if from != "" {
		if err := loadtest.CopyKeys(from, dir); err != nil {
			t.Fatal(err)
		}
	}
	ring, err := keys.Open(filepath.Join(dir, "keys"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := keys.OpenSealer(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	s := New(ring, st, sealer, time.Second, nil)
	s.clock = clock
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func current(s *Sync) string { id, _ := s.Current(); return id }

func listed(s *Sync, id string) (found, cur bool) {
	for _, k := range s.Public() {
		if k.KeyID == id {
			return true, k.Current
		}
	}
	return false, false
}

// TestRotationReachesEveryInstance: a key rotated on one instance is published by every instance
// before any signs with it, and every instance signs with it once its time has come.
func TestRotationReachesEveryInstance(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	seal := filepath.Join(t.TempDir(), "seal.key")
	clock := clocktest.NewFake(time.Now())
	a, aDir := instance(t, st, seal, clock, "")
	// b and c start with copies of a's keys, as docs/scaling.md says.
	b, _ := instance(t, st, seal, clock, aDir)
	c, _ := instance(t, st, seal, clock, aDir)
	first := current(a)
	if current(b) != first || current(c) != first {
		t.Fatalf("current keys %s %s %s, want all %s", current(a), current(b), current(c), first)
	}

	k, err := a.Rotate()
	if err != nil || k.Current || k.EndorsedBy != first {
		t.Fatalf("Rotate = %+v, %v; want a key endorsed by %s, not current yet", k, err, first)
	}
	for _, s := range []*Sync{a, b, c} {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if found, cur := listed(s, k.KeyID); !found || cur || current(s) != first {
			t.Fatalf("before its time: new key listed %v current %v, signing with %s; want listed, not current, %s", found, cur, current(s), first)
		}
	}
	// Terminals that trust the first key accept the new one from any instance's list.
	trusted := []protocol.ServerKey{a.Public()[0]}
	if _, added, err := protocol.AcceptKeys(trusted, c.Public()); err != nil || len(added) != 1 || added[0] != k.KeyID {
		t.Fatalf("a terminal following c's list: added %v, %v", added, err)
	}

	clock.Advance(AnnounceRounds * time.Second)
	for _, s := range []*Sync{a, b, c} {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if current(s) != k.KeyID {
			t.Fatalf("after its time: signing with %s, want %s", current(s), k.KeyID)
		}
	}

	// A key another instance announced since the last poll is found when asked for.
	k3, err := b.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Private(k3.KeyID); !ok {
		t.Fatal("c could not find the key b announced")
	}
	// A later instance with an old copy of the keys catches up at start.
	d, _ := instance(t, st, seal, clock, aDir)
	if current(d) != k.KeyID {
		t.Fatalf("a late instance signs with %s, want %s", current(d), k.KeyID)
	}
}

// TestWrongSealKeyAddsNothing: an instance whose seal key differs cannot open announced keys; it
// keeps its own and reports the failure in its log.
func TestWrongSealKeyAddsNothing(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	clock := clocktest.NewFake(time.Now())
	a, aDir := instance(t, st, filepath.Join(t.TempDir(), "seal.key"), clock, "")
	b, _ := instance(t, st, filepath.Join(t.TempDir(), "other-seal.key"), clock, aDir)
	k, err := a.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if found, _ := listed(b, k.KeyID); found {
		t.Fatal("b added a key it cannot have opened")
	}
}
