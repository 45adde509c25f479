package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// testKey is a deterministic server key: seed byte n.
func testKey(id string, n byte, created time.Time) (ServerKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, ed25519.SeedSize))
	return ServerKey{KeyID: id, PublicKey: priv.Public().(ed25519.PublicKey), Created: created}, priv
}

// keyChain is k1 (trusted at enrollment) -> k2 -> k3, each endorsed by the one before, plus keys
// that must not be accepted.
type keyChain struct {
	k1, k2, k3         ServerKey
	unendorsed         ServerKey // a new key with no endorsement
	byStranger         ServerKey // endorsed by a key nobody trusts
	forged             ServerKey // claims k1's endorsement, signed by another key
	tampered           ServerKey // k2 with its creation time changed after endorsement
	impostor           ServerKey // id k1, another public key
	cycleA, cycleB     ServerKey // endorse each other, neither trusted
	afterTampered      ServerKey // endorsed by the tampered key's id, which is not accepted
	shortKey, nulID    ServerKey // malformed
	stranger, attacker ed25519.PrivateKey
	k1Priv, k2Priv     ed25519.PrivateKey
	trusted            []ServerKey
	created1, created2 time.Time
	strangerKey        ServerKey
}

func newKeyChain() keyChain {
	var c keyChain
	c.created1 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.created2 = c.created1.Add(30 * 24 * time.Hour)
	c.k1, c.k1Priv = testKey("k-000000000001", 1, c.created1)
	c.k1.Current = true
	c.trusted = []ServerKey{c.k1}
	k2, k2Priv := testKey("k-000000000002", 2, c.created2)
	k2.Current = true
	c.k2, c.k2Priv = EndorseKey(k2, c.k1.KeyID, c.k1Priv), k2Priv
	k3, _ := testKey("k-000000000003", 3, c.created2.Add(time.Hour))
	c.k3 = EndorseKey(k3, c.k2.KeyID, c.k2Priv)

	c.unendorsed, _ = testKey("k-00000000000e", 14, c.created2)
	c.strangerKey, c.stranger = testKey("k-00000000000f", 15, c.created1)
	s, _ := testKey("k-000000000010", 16, c.created2)
	c.byStranger = EndorseKey(s, c.strangerKey.KeyID, c.stranger)
	f, _ := testKey("k-000000000011", 17, c.created2)
	_, c.attacker = testKey("attacker", 18, c.created2)
	c.forged = EndorseKey(f, c.k1.KeyID, c.attacker)
	c.tampered = c.k2
	c.tampered.Created = c.created2.Add(time.Second)
	c.impostor, _ = testKey(c.k1.KeyID, 19, c.created1)
	a, aPriv := testKey("k-0000000000aa", 20, c.created2)
	b, bPriv := testKey("k-0000000000bb", 21, c.created2)
	c.cycleA, c.cycleB = EndorseKey(a, b.KeyID, bPriv), EndorseKey(b, a.KeyID, aPriv)
	t, _ := testKey("k-000000000012", 22, c.created2)
	c.afterTampered = EndorseKey(t, c.k2.KeyID, c.k2Priv)
	short, _ := testKey("k-000000000013", 23, c.created2)
	short = EndorseKey(short, c.k1.KeyID, c.k1Priv)
	short.PublicKey = short.PublicKey[:16]
	c.shortKey = short
	n, _ := testKey("k-0\x0014", 24, c.created2)
	c.nulID = EndorseKey(n, c.k1.KeyID, c.k1Priv)
	return c
}

type acceptCase struct {
	name      string
	offered   []ServerKey
	wantAdded []string
	wantErrs  []error // each must match with errors.Is; none means err == nil
	refused   bool    // the whole offer is refused: merged equals trusted
}

func acceptCases() []acceptCase {
	c := newKeyChain()
	many := make([]ServerKey, MaxOfferedKeys+1)
	for i := range many {
		many[i] = c.k1
	}
	return []acceptCase{
		{name: "nothing new", offered: []ServerKey{c.k1}},
		{name: "empty offer", offered: nil},
		{name: "one rotation", offered: []ServerKey{c.k1, c.k2}, wantAdded: []string{c.k2.KeyID}},
		{name: "trusted key not offered", offered: []ServerKey{c.k2}, wantAdded: []string{c.k2.KeyID}},
		{name: "chain in reverse order", offered: []ServerKey{c.k3, c.k2, c.k1}, wantAdded: []string{c.k3.KeyID, c.k2.KeyID}},
		{name: "duplicate entries", offered: []ServerKey{c.k2, c.k2, c.k1}, wantAdded: []string{c.k2.KeyID}},
		{name: "unendorsed new key", offered: []ServerKey{c.k1, c.unendorsed}, wantErrs: []error{ErrKeyNotEndorsed}},
		{name: "endorsed by a stranger", offered: []ServerKey{c.k1, c.byStranger}, wantErrs: []error{ErrEndorserUntrusted}},
		{name: "stranger and its endorsee", offered: []ServerKey{c.strangerKey, c.byStranger},
			wantErrs: []error{ErrKeyNotEndorsed, ErrEndorserUntrusted}},
		{name: "forged endorsement", offered: []ServerKey{c.k1, c.forged}, wantErrs: []error{ErrEndorsementInvalid}},
		{name: "tampered creation time", offered: []ServerKey{c.tampered}, wantErrs: []error{ErrEndorsementInvalid}},
		{name: "chain through a rejected key", offered: []ServerKey{c.tampered, c.afterTampered},
			wantErrs: []error{ErrEndorsementInvalid, ErrEndorserUntrusted}},
		{name: "endorsement cycle", offered: []ServerKey{c.cycleA, c.cycleB}, wantErrs: []error{ErrEndorserUntrusted}},
		{name: "good and bad together", offered: []ServerKey{c.unendorsed, c.k2, c.forged}, wantAdded: []string{c.k2.KeyID},
			wantErrs: []error{ErrKeyNotEndorsed, ErrEndorsementInvalid}},
		{name: "short public key", offered: []ServerKey{c.shortKey}, wantErrs: []error{ErrKeyMalformed}},
		{name: "key id with a NUL byte", offered: []ServerKey{c.nulID}, wantErrs: []error{ErrKeyMalformed}},
		{name: "trusted id with another key", offered: []ServerKey{c.k2, c.impostor}, wantErrs: []error{ErrKeyConflict}, refused: true},
		{name: "id offered twice with different keys", offered: []ServerKey{c.k2, c.k1, {KeyID: c.k2.KeyID, PublicKey: c.unendorsed.PublicKey}},
			wantErrs: []error{ErrKeyConflict}, refused: true},
		{name: "too many keys", offered: many, wantErrs: []error{ErrTooManyKeys}, refused: true},
	}
}

func TestAcceptKeys(t *testing.T) {
	trusted := newKeyChain().trusted
	for _, tc := range acceptCases() {
		t.Run(tc.name, func(t *testing.T) {
			merged, added, err := AcceptKeys(trusted, tc.offered)
			if !slices.Equal(added, tc.wantAdded) {
				t.Errorf("added = %v, want %v", added, tc.wantAdded)
			}
			if len(tc.wantErrs) == 0 && err != nil {
				t.Errorf("err = %v, want nil", err)
			}
			for _, want := range tc.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want it to match %v", err, want)
				}
			}
			var rej *KeyRejectedError
			if err != nil && !errors.As(err, &rej) {
				if !errors.Is(err, ErrTooManyKeys) {
					t.Errorf("err %v carries no *KeyRejectedError", err)
				}
			}
			if len(merged) != len(trusted)+len(tc.wantAdded) {
				t.Fatalf("merged has %d keys, want %d", len(merged), len(trusted)+len(tc.wantAdded))
			}
			for i, k := range trusted {
				if merged[i].KeyID != k.KeyID || !bytes.Equal(merged[i].PublicKey, k.PublicKey) {
					t.Errorf("merged[%d] = %s, want the trusted %s first", i, merged[i].KeyID, k.KeyID)
				}
			}
			if tc.refused && !slices.EqualFunc(merged, trusted, sameKey) {
				t.Errorf("refused offer changed the keys: %+v", merged)
			}
			checkAccepted(t, trusted, merged, added)
		})
	}
}

func sameKey(a, b ServerKey) bool { return a.KeyID == b.KeyID && bytes.Equal(a.PublicKey, b.PublicKey) }

// checkAccepted asserts the property AcceptKeys exists for: every added key is endorsed, with a
// valid signature, by a key that was trusted or is itself in merged.
func checkAccepted(t *testing.T, trusted, merged []ServerKey, added []string) {
	t.Helper()
	pubs := map[string]ed25519.PublicKey{}
	for _, k := range merged {
		pubs[k.KeyID] = k.PublicKey
	}
	if len(merged) != len(trusted)+len(added) {
		t.Fatalf("merged %d keys = trusted %d + added %d does not hold", len(merged), len(trusted), len(added))
	}
	for i, id := range added {
		k := merged[len(trusted)+i]
		if k.KeyID != id {
			t.Fatalf("merged[%d] is %s, added says %s", len(trusted)+i, k.KeyID, id)
		}
		by, ok := pubs[k.EndorsedBy]
		if !ok {
			t.Fatalf("added key %s is endorsed by %q, which is not in merged", id, k.EndorsedBy)
		}
		if err := VerifyEndorsement(k, by); err != nil {
			t.Fatalf("added key %s: %v", id, err)
		}
	}
}

func TestAcceptKeysUpdatesCurrentFlag(t *testing.T) {
	c := newKeyChain()
	retired := c.k1
	retired.Current = false
	merged, added, err := AcceptKeys(c.trusted, []ServerKey{retired, c.k2})
	if err != nil || len(added) != 1 {
		t.Fatalf("added %v, err %v", added, err)
	}
	if merged[0].Current || !merged[1].Current {
		t.Fatalf("current flags: %s=%v %s=%v", merged[0].KeyID, merged[0].Current, merged[1].KeyID, merged[1].Current)
	}
	if !c.trusted[0].Current {
		t.Fatal("AcceptKeys changed the caller's trusted slice")
	}
}

// TestEndorsementLayout rebuilds the signed bytes exactly as docs/protocol.md describes them, so
// that the layout cannot drift from the documentation.
func TestEndorsementLayout(t *testing.T) {
	c := newKeyChain()
	var msg []byte
	msg = append(msg, "stillpay-key-endorsement-v1\x00"...)
	msg = append(msg, c.k2.KeyID...)
	msg = append(msg, 0)
	msg = append(msg, c.k2.PublicKey...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(c.created2.Unix()))
	if !ed25519.Verify(c.k1.PublicKey, msg, c.k2.Endorsement) {
		t.Fatal("the endorsement does not sign the documented bytes")
	}
	if c.k2.EndorsedBy != c.k1.KeyID {
		t.Fatalf("endorsed_by = %q", c.k2.EndorsedBy)
	}
	if err := VerifyEndorsement(c.k2, c.k1.PublicKey); err != nil {
		t.Fatal(err)
	}
	if err := VerifyEndorsement(c.k1, c.k1.PublicKey); !errors.Is(err, ErrKeyNotEndorsed) {
		t.Fatalf("first key: err = %v", err)
	}
}

// TestServerKeyJSONShape keeps the wire shape additive: an unendorsed key marshals as before.
func TestServerKeyJSONShape(t *testing.T) {
	c := newKeyChain()
	raw, err := json.Marshal(c.k1)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(slices.Sorted(maps.Keys(fields)), ","); got != "created,current,key_id,public_key" {
		t.Fatalf("unendorsed key fields = %s", got)
	}
	raw, _ = json.Marshal(c.k2)
	var back ServerKey
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := VerifyEndorsement(back, c.k1.PublicKey); err != nil {
		t.Fatalf("endorsement lost in a JSON round trip: %v (%s)", err, raw)
	}
}

// FuzzAcceptKeys feeds key lists as a server (or anyone on the link) could send them.
func FuzzAcceptKeys(f *testing.F) {
	for _, tc := range acceptCases() {
		raw, err := json.Marshal(tc.offered)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	trusted := newKeyChain().trusted
	f.Fuzz(func(t *testing.T, raw []byte) {
		var offered []ServerKey
		if json.Unmarshal(raw, &offered) != nil {
			return
		}
		merged, added, err := AcceptKeys(trusted, offered)
		if errors.Is(err, ErrKeyConflict) || errors.Is(err, ErrTooManyKeys) {
			if len(added) != 0 || !slices.EqualFunc(merged, trusted, sameKey) {
				t.Fatalf("a refused offer changed the keys: added %v", added)
			}
		}
		checkAccepted(t, trusted, merged, added)
		if err != nil && !strings.Contains(err.Error(), "protocol:") {
			t.Fatalf("error without a clear message: %v", err)
		}
	})
}
