package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// testServerKeys checks announced server keys on stores that instances share (the embedded store
// does not implement store.ServerKeyStore): listed by CurrentFrom, the same key again is no change,
// another key under a taken id is ErrExists.
func testServerKeys(t *testing.T, open func(t *testing.T) store.Store) {
	ks, ok := open(t).(store.ServerKeyStore)
	if !ok {
		t.Skip("not a store that instances share")
	}
	ctx := context.Background()
	k1 := store.ServerKey{KeyID: "k-000000000001", Created: t0, Sealed: []byte("sealed-1"), CurrentFrom: t0}
	k2 := store.ServerKey{KeyID: "k-000000000002", Created: t0.Add(time.Hour), Sealed: []byte("sealed-2"),
		EndorsedBy: k1.KeyID, Endorsement: []byte("sig"), CurrentFrom: t0.Add(2 * time.Hour)}
	for _, k := range []store.ServerKey{k2, k1, k2} {
		if err := ks.PutServerKey(ctx, k); err != nil {
			t.Fatalf("PutServerKey(%s) = %v", k.KeyID, err)
		}
	}
	resealed := k2
	resealed.Sealed = []byte("sealed again with a fresh nonce")
	if err := ks.PutServerKey(ctx, resealed); err != nil {
		t.Fatalf("the same key sealed anew: %v", err)
	}
	other := k2
	other.Endorsement = []byte("another signature")
	if err := ks.PutServerKey(ctx, other); !errors.Is(err, store.ErrExists) {
		t.Fatalf("another key under a taken id: %v, want ErrExists", err)
	}
	got, err := ks.ServerKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].KeyID != k1.KeyID || got[1].KeyID != k2.KeyID {
		t.Fatalf("ServerKeys = %+v, want k1 then k2", got)
	}
	g := got[1]
	if string(g.Sealed) != "sealed-2" || g.EndorsedBy != k1.KeyID || string(g.Endorsement) != "sig" ||
		!g.Created.Equal(k2.Created) || !g.CurrentFrom.Equal(k2.CurrentFrom) {
		t.Fatalf("k2 read back as %+v", g)
	}
}
