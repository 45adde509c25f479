package store

import (
	"context"
	"time"
)

// ServerKey is a server signing key announced to every instance that shares the store
// (server/keysync): a key made by `admin rotate-key` on one instance reaches the others through it.
type ServerKey struct {
	KeyID   string
	Created time.Time
	// Sealed is the Ed25519 private key sealed with the instances' shared seal key
	// (keys.Sealer.SealKey): the database alone cannot sign anything.
	Sealed []byte
	// EndorsedBy and Endorsement are the previous key's signature over this one (protocol.EndorseKey).
	EndorsedBy  string
	Endorsement []byte
	// CurrentFrom is when every instance starts signing with this key: the latest CurrentFrom not
	// in the future names the current key. Far enough after the announcement for every instance to
	// have learned the key, so that none signs with a key another cannot render or publish.
	CurrentFrom time.Time
}

// ServerKeyStore holds announced server keys. Only stores that several instances share implement it
// (pgstore; memstore for tests): on the embedded store one process holds the keys in its data
// directory, and there is nobody to announce them to.
type ServerKeyStore interface {
	// PutServerKey announces k. Announcing an id again with the same key does nothing; ErrExists if
	// the id is there with other bytes.
	PutServerKey(ctx context.Context, k ServerKey) error
	// ServerKeys lists every announced key, by CurrentFrom then id.
	ServerKeys(ctx context.Context) ([]ServerKey, error)
}
