package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeyEndorsementContext separates key endorsements from every other signature in the system.
const KeyEndorsementContext = "stillpay-key-endorsement-v1\x00"

// MaxOfferedKeys bounds the key list AcceptKeys looks at: a server keeps a few dozen keys over its
// life, and each offered key costs at most one signature check.
const MaxOfferedKeys = 256

// Errors from AcceptKeys and VerifyEndorsement. Each rejected key is reported as a
// *KeyRejectedError wrapping one of them; test with errors.Is.
var (
	// ErrKeyConflict means a key id the client trusts is offered with a different public key:
	// somebody is substituting keys, and the whole offer is refused.
	ErrKeyConflict = errors.New("protocol: a trusted server key id is offered with a different public key")
	// ErrKeyNotEndorsed means a new key carries no endorsement, so nothing ties it to a trusted key.
	ErrKeyNotEndorsed = errors.New("protocol: new server key is not endorsed")
	// ErrEndorserUntrusted means a new key is endorsed by a key that is neither trusted nor
	// acceptable itself.
	ErrEndorserUntrusted = errors.New("protocol: new server key is endorsed by an untrusted key")
	// ErrEndorsementInvalid means the endorsement signature does not verify.
	ErrEndorsementInvalid = errors.New("protocol: server key endorsement does not verify")
	// ErrKeyMalformed means an offered key's id, public key or endorsement has the wrong shape.
	ErrKeyMalformed = errors.New("protocol: server key is malformed")
	// ErrTooManyKeys means the offer lists more than MaxOfferedKeys keys; none is accepted.
	ErrTooManyKeys = errors.New("protocol: too many server keys offered")
)

// KeyRejectedError says why one offered key was not accepted.
type KeyRejectedError struct {
	KeyID string
	Err   error
}

func (e *KeyRejectedError) Error() string { return fmt.Sprintf("server key %q: %v", e.KeyID, e.Err) }

// Unwrap returns the reason, one of the errors above.
func (e *KeyRejectedError) Unwrap() error { return e.Err }

// endorsementBytes is what an endorsement signs: the context, the key id, a zero byte (ids are
// printable ASCII, so the id ends unambiguously), the 32-byte public key and the creation time in
// unix seconds as 8 bytes big endian.
func endorsementBytes(k ServerKey) []byte {
	b := make([]byte, 0, len(KeyEndorsementContext)+len(k.KeyID)+1+len(k.PublicKey)+8)
	b = append(b, KeyEndorsementContext...)
	b = append(b, k.KeyID...)
	b = append(b, 0)
	b = append(b, k.PublicKey...)
	return binary.BigEndian.AppendUint64(b, uint64(k.Created.Unix()))
}

// EndorseKey returns newKey endorsed by the key byID (whose private half is by). The server calls it
// when it rotates, with the key that is current before the rotation.
func EndorseKey(newKey ServerKey, byID string, by ed25519.PrivateKey) ServerKey {
	newKey.EndorsedBy = byID
	newKey.Endorsement = ed25519.Sign(by, endorsementBytes(newKey))
	return newKey
}

// VerifyEndorsement checks k's endorsement against the public key of k.EndorsedBy.
func VerifyEndorsement(k ServerKey, by ed25519.PublicKey) error {
	if err := checkKeyShape(k); err != nil {
		return err
	}
	if k.EndorsedBy == "" && len(k.Endorsement) == 0 {
		return ErrKeyNotEndorsed
	}
	if len(k.Endorsement) != ed25519.SignatureSize || len(by) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: endorsement of %d bytes", ErrKeyMalformed, len(k.Endorsement))
	}
	if !ed25519.Verify(by, endorsementBytes(k), k.Endorsement) {
		return ErrEndorsementInvalid
	}
	return nil
}

// checkKeyShape refuses ids that could make endorsementBytes ambiguous and keys of the wrong size.
func checkKeyShape(k ServerKey) error {
	if err := checkKeyID(k.KeyID); err != nil {
		return err
	}
	if len(k.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key of %d bytes", ErrKeyMalformed, len(k.PublicKey))
	}
	return nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: key id of %d bytes (1..%d)", ErrKeyMalformed, len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return fmt.Errorf("%w: key id has byte 0x%02x (printable ASCII only)", ErrKeyMalformed, id[i])
		}
	}
	return nil
}

// AcceptKeys merges the keys a server offers (GET /v1/keys) into the keys a client already trusts.
// An offered key is accepted if it is already trusted (same id, same public key) or endorsed by an
// accepted key, transitively and in any order; each offered key costs at most one signature check.
//
// merged is always safe to use: trusted (in its order, with the offer's Current flags) followed by
// the newly accepted keys in offer order; added lists their ids. err reports what was not accepted:
// a *KeyRejectedError per ignored key (ErrKeyNotEndorsed, ErrEndorserUntrusted,
// ErrEndorsementInvalid, ErrKeyMalformed), joined. If a trusted id is offered with a different
// public key (ErrKeyConflict) or the offer is too long (ErrTooManyKeys), nothing is accepted and
// merged is trusted unchanged.
func AcceptKeys(trusted, offered []ServerKey) (merged []ServerKey, added []string, err error) {
	merged = append([]ServerKey(nil), trusted...)
	if len(offered) > MaxOfferedKeys {
		return merged, nil, fmt.Errorf("%w: %d (at most %d)", ErrTooManyKeys, len(offered), MaxOfferedKeys)
	}
	known := make(map[string]ed25519.PublicKey, len(trusted)+len(offered))
	var frontier []string // ids whose endorsements are still to be looked at
	for _, k := range trusted {
		if _, dup := known[k.KeyID]; !dup && len(k.PublicKey) == ed25519.PublicKeySize {
			known[k.KeyID] = ed25519.PublicKey(k.PublicKey)
			frontier = append(frontier, k.KeyID)
		}
	}

	// First pass: a conflict refuses the whole offer; trusted keys are matched; the rest wait for
	// their endorser, indexed by it so that each is checked once.
	outcome := make([]error, len(offered)) // why offered[i] was rejected, if it was
	accepted := make([]bool, len(offered))
	pending := make([]bool, len(offered))
	offeredPub := make(map[string][]byte, len(offered))
	current := make(map[string]bool, len(offered))
	waiting := make(map[string][]int) // endorser id -> indexes into offered
	for i, k := range offered {
		if prev, seen := offeredPub[k.KeyID]; seen {
			if !bytes.Equal(prev, k.PublicKey) {
				return merged, nil, &KeyRejectedError{KeyID: k.KeyID,
					Err: fmt.Errorf("%w: the offer lists the id twice with different keys", ErrKeyConflict)}
			}
			continue // a duplicate of a key already looked at
		}
		offeredPub[k.KeyID] = k.PublicKey
		if pub, ok := known[k.KeyID]; ok {
			if !bytes.Equal(pub, k.PublicKey) {
				return merged, nil, &KeyRejectedError{KeyID: k.KeyID, Err: ErrKeyConflict}
			}
			current[k.KeyID] = k.Current
			continue
		}
		switch err := checkKeyShape(k); {
		case err != nil:
			outcome[i] = err
		case k.EndorsedBy == "" || len(k.Endorsement) == 0:
			outcome[i] = ErrKeyNotEndorsed
		default:
			pending[i] = true
			waiting[k.EndorsedBy] = append(waiting[k.EndorsedBy], i)
		}
	}
	for i := range merged {
		if c, ok := current[merged[i].KeyID]; ok {
			merged[i].Current = c
		}
	}

	// Breadth first from the trusted keys: a key becomes trusted when its endorser is and its
	// endorsement verifies; then the keys it endorsed are looked at.
	for len(frontier) > 0 {
		id := frontier[0]
		frontier = frontier[1:]
		for _, i := range waiting[id] {
			pending[i] = false
			k := offered[i]
			if err := VerifyEndorsement(k, known[id]); err != nil {
				outcome[i] = err
				continue
			}
			known[k.KeyID] = ed25519.PublicKey(k.PublicKey)
			accepted[i] = true
			frontier = append(frontier, k.KeyID)
		}
		delete(waiting, id)
	}

	var rejected []error
	for i, k := range offered {
		switch {
		case accepted[i]:
			merged = append(merged, k)
			added = append(added, k.KeyID)
		case pending[i]: // its endorser never became trusted
			rejected = append(rejected, &KeyRejectedError{KeyID: k.KeyID, Err: fmt.Errorf("%w: %q", ErrEndorserUntrusted, k.EndorsedBy)})
		case outcome[i] != nil:
			rejected = append(rejected, &KeyRejectedError{KeyID: k.KeyID, Err: outcome[i]})
		}
	}
	return merged, added, errors.Join(rejected...)
}
